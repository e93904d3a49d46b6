// Relay throughput (bench/README.md): Postfix's own load tools, smtp-source into a gateway
// that forwards to smtp-sink, for three gateways measured in the same run:
//   loopback  smtp-source straight into smtp-sink (the limit of the machine and the tools)
//   relay     `chainmail relay` (durable spool, fsync before 250) running the gateway
//   postfix   a private Postfix instance deployed from the same file's Postfix artifacts
// Everything listens on 127.0.0.1; every phase has a timeout; every process started here is
// stopped and every temp dir removed (lib.mjs cleanup), also on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { baseMainCf, deployArtifacts, ensureLogQueue, masterCf, postfixIds } from '../test/support/postfix-config.mjs';
import { CLI, findTool, fmt, freePort, onCleanup, runBounded, table, tempDir, track } from './lib.mjs';

const SENDER = 'loadtest@client.test';
const RECIPIENT = 'user@bench.example';
const SESSIONS = 20;

/** The loads: Postfix's classic 2 KB test and a larger-message one. */
function loads(quick) {
  return quick
    ? [
        { name: '2 KB', messages: 2_000, bytes: 2_048 },
        { name: '100 KB', messages: 200, bytes: 102_400 },
      ]
    : [
        { name: '2 KB', messages: 20_000, bytes: 2_048 },
        { name: '100 KB', messages: 2_000, bytes: 102_400 },
      ];
}

export async function relayThroughput({ quick, log, deadline, profileDir }) {
  const tools = { source: findTool('smtp-source'), sink: findTool('smtp-sink'), postfix: findTool('postfix'), postmap: findTool('postmap'), postconf: findTool('postconf') };
  if (!tools.source || !tools.sink) return { skipped: 'smtp-source and smtp-sink are not installed (apt-get install postfix)' };
  const root = process.getuid?.() === 0;
  const results = { sessions: SESSIONS, loads: loads(quick), gateways: {}, notes: [] };
  // the phases of one gateway must finish by then; a gateway that has no time left is skipped
  const phaseTimeoutMs = quick ? 60_000 : 240_000;

  const gateways = ['loopback', 'relay', 'postfix'];
  for (const name of gateways) {
    if (Date.now() > deadline) {
      results.gateways[name] = { skipped: 'time budget spent' };
      continue;
    }
    if (name === 'postfix' && (!root || !tools.postfix || !tools.postmap || !tools.postconf)) {
      results.gateways[name] = { skipped: root ? 'postfix is not installed' : 'a private Postfix instance needs root (its master runs as root)' };
      log(`relay throughput: ${name}: skipped (${results.gateways[name].skipped})`);
      continue;
    }
    log(`relay throughput: ${name}`);
    const sink = await startSink(tools.sink, root);
    let gateway;
    try {
      gateway = name === 'loopback' ? { port: sink.port, pids: () => [], stop: async () => {} } : name === 'relay' ? await startChainmailRelay(sink.port, profileDir) : await startPostfixGateway(sink.port, tools);
      // a short unmeasured warm-up: Postfix forks its smtpd/cleanup/smtp processes on
      // demand and node compiles its hot code; neither start-up is what is measured here
      const first = results.loads[0];
      const warm = await phase(tools.source, gateway, sink, { ...first, name: 'warm-up', messages: Math.max(100, first.messages / 20) }, phaseTimeoutMs, () => {}, deadline);
      if (warm.error) throw new Error(`warm-up: ${warm.error}`);
      const phases = [];
      for (const load of results.loads) {
        const r = await phase(tools.source, gateway, sink, load, phaseTimeoutMs, log, deadline);
        phases.push({ load: load.name, ...r });
        if (r.error) break;
      }
      results.gateways[name] = { phases, ...(gateway.describe ? { setup: gateway.describe } : {}) };
    } catch (e) {
      results.gateways[name] = { error: String(e instanceof Error ? e.message : e) };
      log(`  ${name}: ${results.gateways[name].error}`);
    } finally {
      await gateway?.stop();
      await sink.stop();
    }
  }
  results.ratios = ratios(results);
  return results;
}

/**
 * One load through one gateway: smtp-source sends `messages` messages of `bytes` bytes in
 * 20 parallel sessions (one connection per message, smtp-source's default); accepted/s is
 * messages over smtp-source's run time, delivered/s messages over the time until smtp-sink
 * has received all of them. CPU is the gateway's (all its processes), peak RSS the largest
 * sum of their resident sizes, sampled every 100 ms.
 */
async function phase(source, gateway, sink, load, phaseTimeoutMs, log, deadline) {
  // each wait (sending, then delivering) is bounded by the phase timeout and the run's end
  const bound = () => Math.max(5_000, Math.min(phaseTimeoutMs, deadline - Date.now()));
  const timeoutMs = bound();
  const before = sink.count();
  const cpu0 = cpuSeconds(gateway.pids());
  let peakMB = rssMB(gateway.pids());
  const sampler = setInterval(() => {
    peakMB = Math.max(peakMB, rssMB(gateway.pids()));
  }, 200);
  const start = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
  try {
    const args = ['-s', String(SESSIONS), '-m', String(load.messages), '-l', String(load.bytes), '-M', 'client.test', '-f', SENDER, '-t', RECIPIENT, `127.0.0.1:${gateway.port}`];
    const sent = await runBounded(source, args, timeoutMs);
    const accepted = seconds();
    if (sent.code !== 0) return { error: `smtp-source exited ${sent.timedOut ? 'on timeout' : sent.code}: ${sent.stderr.trim().split('\n').slice(-3).join(' / ')}` };
    const end = Date.now() + bound();
    while (sink.count() - before < load.messages && Date.now() < end) await sleep(20);
    const delivered = seconds();
    const got = sink.count() - before;
    const cpu = cpuSeconds(gateway.pids()) - cpu0;
    peakMB = Math.max(peakMB, rssMB(gateway.pids()));
    const r = {
      messages: load.messages,
      bytes: load.bytes,
      acceptSeconds: accepted,
      deliverSeconds: delivered,
      acceptedPerSecond: load.messages / accepted,
      deliveredPerSecond: got >= load.messages ? load.messages / delivered : undefined,
      delivered: got,
      cpuSeconds: gateway.pids().length > 0 ? cpu : undefined,
      cpuMsPerMessage: gateway.pids().length > 0 ? (1000 * cpu) / load.messages : undefined,
      // memory: the peak of the summed PSS of the gateway's processes (sampled every 200 ms)
      // and, for a single process (the relay), its exact peak RSS (VmHWM)
      peakPssMB: gateway.pids().length > 0 ? peakMB : undefined,
      ...(gateway.peakMB ? { peakRssMB: gateway.peakMB() } : {}),
    };
    log(
      `  ${load.name.padEnd(7)} ${load.messages} messages: accepted ${fmt(r.acceptedPerSecond, 0)}/s, delivered ${got < load.messages ? `only ${got} of ${load.messages}` : `${fmt(r.deliveredPerSecond, 0)}/s`}` +
        (r.cpuMsPerMessage !== undefined ? `, ${fmt(r.cpuMsPerMessage)} ms CPU/message, peak PSS ${fmt(r.peakPssMB, 0)} MB${r.peakRssMB !== undefined ? `, peak RSS ${fmt(r.peakRssMB, 0)} MB` : ''}` : ''),
    );
    if (got < load.messages) r.error = `only ${got} of ${load.messages} messages reached smtp-sink in time`;
    return r;
  } finally {
    clearInterval(sampler);
  }
}

function ratios(results) {
  const at = (g, load) => results.gateways[g]?.phases?.find((p) => p.load === load);
  const out = {};
  for (const { name } of results.loads) {
    const relay = at('relay', name);
    const postfix = at('postfix', name);
    const loop = at('loopback', name);
    const f = (a, b) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
    out[name] = {
      acceptedRelayOverPostfix: f(relay?.acceptedPerSecond, postfix?.acceptedPerSecond),
      deliveredRelayOverPostfix: f(relay?.deliveredPerSecond, postfix?.deliveredPerSecond),
      cpuPerMessageRelayOverPostfix: f(relay?.cpuMsPerMessage, postfix?.cpuMsPerMessage),
      relayAcceptedOverLoopback: f(relay?.acceptedPerSecond, loop?.acceptedPerSecond),
    };
  }
  return out;
}

/** The table printed at the end of `npm run bench`. */
export function relayTable(r) {
  if (r.skipped) return `relay throughput: skipped (${r.skipped})`;
  const rows = [['gateway', 'load', 'accepted/s', 'delivered/s', 'CPU ms/msg', 'peak PSS MB', 'peak RSS MB']];
  for (const [g, v] of Object.entries(r.gateways)) {
    if (v.skipped || v.error) {
      rows.push([g, v.skipped ? `skipped: ${v.skipped}` : `error: ${v.error.slice(0, 70)}`]);
      continue;
    }
    for (const p of v.phases) rows.push([g, `${p.messages} x ${p.load}`, fmt(p.acceptedPerSecond, 0), p.deliveredPerSecond === undefined ? `${p.delivered} only` : fmt(p.deliveredPerSecond, 0), fmt(p.cpuMsPerMessage), fmt(p.peakPssMB, 0), fmt(p.peakRssMB, 0)]);
  }
  const lines = [`relay throughput (smtp-source, ${r.sessions} sessions, one connection per message, into smtp-sink on 127.0.0.1)`, table(rows)];
  for (const [load, x] of Object.entries(r.ratios ?? {})) {
    lines.push(`${load}: relay/Postfix accepted x${fmt(x.acceptedRelayOverPostfix)}, delivered x${fmt(x.deliveredRelayOverPostfix)} (goal >= 1.5), CPU per message x${fmt(x.cpuPerMessageRelayOverPostfix)}`);
  }
  for (const n of r.notes ?? []) lines.push(`note: ${n}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------
// The gateways

/** The organisation both gateways run: gw relays bench.example to the sink and knows its recipient. */
export function org(sinkPort, gwKind) {
  return `version: 1
name: relay benchmark
domains:
  bench.example: {}
systems:
  gw:
    kind: ${gwKind}
    host: "[127.0.0.1]"
    port: 25
    gateway: true
    mailboxes: [postmaster@bench.example]
  # the sink is smtp-sink: no user of it sends mail, so none needs it to forward the
  # gateway's postmaster back (the reverse path that unreachable-recipient asks for)
  # chainmail-disable-next-line unreachable-recipient
  sink:
    kind: other
    host: "[127.0.0.1]"
    port: ${sinkPort}
    mailboxes: [${RECIPIENT}]
policies:
  - name: Gateway
    system: gw
    addresses: [{ space: "@bench.example", authoritative: false }]
  - name: Sink
    system: sink
    addresses: [{ space: "@bench.example", authoritative: true }]
connectors:
  - name: To the sink
    system: gw
    addressSpaces: [bench.example]
    to: sink
    allowRelay: true
chains:
  - name: bench
    domains: [bench.example]
    order: [gw, sink]
`;
}

function buildOrg(dir, sinkPort, gwKind, extra = []) {
  writeFileSync(join(dir, 'chainmail.yaml'), org(sinkPort, gwKind));
  const r = spawnSync(process.execPath, [CLI, 'build', 'chainmail.yaml', '--out', 'out', ...extra], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`chainmail build of the benchmark gateway failed: ${r.stderr}`);
  return join(dir, 'out');
}

/** `chainmail relay` as a child process, its log on a file (one JSON line per event). */
async function startChainmailRelay(sinkPort, profileDir) {
  const dir = tempDir('relay');
  const out = buildOrg(dir, sinkPort, 'relay', ['--target', 'routes']);
  const port = await freePort();
  const logFile = join(dir, 'relay.log');
  const logStream = createWriteStream(logFile);
  await new Promise((r) => logStream.once('open', r));
  // the greeting delay (an early-talker test, 100 ms on a gateway) is off: Postfix's
  // smtpd greets at once too (postscreen is not part of this comparison)
  // --profile DIR: a V8 CPU profile of the relay (written when it exits), for bench/profile-top.mjs
  const args = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), CLI, 'relay', '--routes', join(out, 'gw', 'routes.json'), '--listen', `127.0.0.1:${port}`, '--spool', join(dir, 'spool'), '--hostname', 'gw.bench.test', '--greeting-delay', '0'];
  const child = track(spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', logStream], detached: true }));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    logStream.end();
  };
  onCleanup(stop);
  try {
    await waitForPort(port, 15_000, () => (child.exitCode !== null ? `the relay exited: ${readFileSync(logFile, 'utf8').slice(-1000)}` : undefined));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    port,
    pids: () => (child.exitCode === null ? [child.pid] : []),
    peakMB: () => vmHwmMB(child.pid),
    stop,
    describe: `chainmail relay (${readFileSync(join(out, 'gw', 'routes.json'), 'utf8').length} bytes of routes.json), greeting delay 0, log to a file`,
  };
}

/**
 * A private Postfix instance deployed from the same organisation's Postfix artifacts
 * (docs/postfix.md: copy the maps, postmap each, postconf -e every main.cf line), with
 * Postfix's defaults otherwise: a durable queue (cleanup fsyncs each queue file before
 * smtpd answers 250), no DNS (bracketed next hop, no client name lookups).
 */
async function startPostfixGateway(sinkPort, tools) {
  const base = tempDir('postfix');
  chmodSync(base, 0o755);
  const conf = join(base, 'conf');
  const maps = join(base, 'maps');
  for (const d of [conf, maps, join(base, 'queue'), join(base, 'data')]) mkdirSync(d, { mode: 0o755 });
  chownSync(join(base, 'data'), postfixIds().uid, -1);
  const build = tempDir('pfbuild');
  const out = buildOrg(build, sinkPort, 'postfix', ['--target', 'postfix', '--postfix-dir', maps]);
  const artifacts = join(out, 'gw', 'postfix');
  const port = await freePort();
  // no DNS: the next hop is a bracketed IP already; no client name lookups either
  const main = [...baseMainCf(base, 'gw.bench.test'), 'smtp_dns_support_level = disabled', 'smtpd_peername_lookup = no'];
  writeFileSync(join(conf, 'main.cf'), `${main.join('\n')}\n`);
  ensureLogQueue();
  writeFileSync(join(conf, 'master.cf'), masterCf(port));
  deployArtifacts({ artifacts, config: conf, maps, postmap: tools.postmap, postconf: tools.postconf });
  // Postfix programs wait until a just-written main.cf is in the past: date it back
  const past = new Date(Date.now() - 3600_000);
  for (const f of ['main.cf', 'master.cf']) utimesSync(join(conf, f), past, past);
  const stop = async () => {
    const r = spawnSync(tools.postfix, ['-c', conf, 'stop'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) spawnSync(tools.postfix, ['-c', conf, 'abort'], { timeout: 30_000 });
  };
  onCleanup(stop);
  const started = spawnSync(tools.postfix, ['-c', conf, 'start'], { encoding: 'utf8', timeout: 60_000 });
  if (started.status !== 0) throw new Error(`postfix start failed: ${started.stderr}`);
  await waitForPort(port, 15_000, () => undefined);
  const masterPid = Number(readFileSync(join(base, 'queue', 'pid', 'master.pid'), 'utf8').trim());
  return {
    port,
    pids: () => descendants(masterPid),
    stop,
    describe: `Postfix ${spawnSync(tools.postconf, ['-c', conf, '-h', 'mail_version'], { encoding: 'utf8' }).stdout.trim()}, the build's gw/postfix artifacts (hash maps), defaults otherwise`,
  };
}

/** smtp-sink on a free port, counting messages (-c prints "sess=N quit=N mesg=N" as it goes). */
async function startSink(sinkTool, root) {
  const port = await freePort();
  let tail = '';
  const child = track(spawn(sinkTool, ['-c', ...(root ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1024'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  let count = 0;
  child.stdout.on('data', (b) => {
    tail = (tail + b.toString('latin1')).slice(-200);
    const all = [...tail.matchAll(/mesg=(\d+)/g)];
    const last = all.at(-1);
    if (last) count = Number(last[1]);
  });
  let err = '';
  child.stderr.on('data', (b) => (err = (err + b).slice(-2000)));
  await waitForPort(port, 10_000, () => (child.exitCode !== null ? `smtp-sink exited: ${err}` : undefined));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  onCleanup(stop);
  return { port, count: () => count, stop };
}

// ---------------------------------------------------------------------------------------
// Processes

/** Every process below `pid` (and `pid` itself), from /proc. */
function descendants(pid) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = readStat(Number(d));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(d));
    children.set(stat.ppid, list);
  }
  const out = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.pop();
    if (!existsSync(`/proc/${p}`)) continue;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function readStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name is in parentheses and may contain spaces: split after the last ")"
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), cutime: Number(f[13]), cstime: Number(f[14]) };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of the processes and of their children that have exited (a daemon's
 * finished smtpd processes are in the master's cutime/cstime once it reaped them).
 */
function cpuSeconds(pids) {
  let ticks = 0;
  for (const p of pids) {
    const s = readStat(p);
    if (s) ticks += s.utime + s.stime + s.cutime + s.cstime;
  }
  return ticks / TICKS;
}

function status(pid, field) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * The memory of a group of processes: the sum of their proportional set sizes (PSS, a
 * shared page counted once in total, /proc/PID/smaps_rollup). Summing RSS instead would
 * count Postfix's shared libraries once per daemon.
 */
function rssMB(pids) {
  let kb = 0;
  for (const p of pids) {
    try {
      kb += Number(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

function vmHwmMB(pid) {
  return status(pid, 'VmHWM');
}

async function waitForPort(port, ms, failed) {
  const end = Date.now() + ms;
  for (;;) {
    const why = failed();
    if (why) throw new Error(why);
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms / 1000} s`);
    await sleep(100);
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
