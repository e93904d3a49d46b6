// The configuration of a private Postfix instance on loopback, shared by the tests
// (test/support/postfix-instance.ts, test/support/postfix-gateway.ts) and the benchmark
// (bench/relay-throughput.mjs). Plain JavaScript, so that the benchmark runs it without a
// build; types in postfix-config.d.mts.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The uid and gid of the `postfix` user (the owner of data_directory). */
export function postfixIds() {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postfix:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('no "postfix" user: run .ci/install-system-packages.sh');
  return { uid: Number(uid), gid: Number(gid) };
}

const DGRAM_QLEN = '/proc/sys/net/unix/max_dgram_qlen';
const WANTED_QLEN = 512;
let queueChecked = false;

/**
 * Makes room in the kernel's queue of the log socket before a private instance starts.
 * With maillog_file, every Postfix process sends its log lines to postlogd(8) through one
 * unix-dgram socket (public/postlog), with a blocking send (msg_logger.c). Where
 * net.unix.max_dgram_qlen is 10 (older kernels' default; 512 since Linux 5.x) a burst of
 * warnings fills the queue; if postlogd then restarts (its watchdog on a loaded machine),
 * it logs its own start-up to that same socket before it switches to writing the file
 * (postlogd.c pre_jail_init), and the master logs the restart: both block, and so does
 * every smtpd before its greeting and `postfix stop`. Seen on CI with both cores busy.
 * The instances need root anyway; the setting is per network namespace. Once per process:
 * every caller that starts a private instance calls it first (postfix-instance.ts,
 * postfix-gateway.ts, bench/relay-throughput.mjs).
 */
export function ensureLogQueue() {
  if (queueChecked) return;
  queueChecked = true;
  try {
    if (Number(readFileSync(DGRAM_QLEN, 'utf8').trim()) >= WANTED_QLEN) return;
    writeFileSync(DGRAM_QLEN, `${WANTED_QLEN}\n`);
  } catch (e) {
    console.warn(`note: could not raise ${DGRAM_QLEN} to ${WANTED_QLEN} (${e instanceof Error ? e.message : String(e)}); a private Postfix may stall under load`);
  }
}

/**
 * A master.cf with the services Postfix needs, chroot off, and smtpd on 127.0.0.1:port only.
 * Text only: the caller makes room in the log socket's queue (ensureLogQueue) before it
 * starts the instance.
 */
export function masterCf(port) {
  const rows = [
    [`127.0.0.1:${port}`, 'inet', 'n', '-', 'n', '-', '-'],
    ['pickup', 'unix', 'n', '-', 'n', '60', '1'],
    ['cleanup', 'unix', 'n', '-', 'n', '-', '0'],
    ['qmgr', 'unix', 'n', '-', 'n', '300', '1'],
    ['rewrite', 'unix', '-', '-', 'n', '-', '-'],
    ['bounce', 'unix', '-', '-', 'n', '-', '0'],
    ['defer', 'unix', '-', '-', 'n', '-', '0'],
    ['trace', 'unix', '-', '-', 'n', '-', '0'],
    ['verify', 'unix', '-', '-', 'n', '-', '1'],
    ['flush', 'unix', 'n', '-', 'n', '1000?', '0'],
    ['proxymap', 'unix', '-', '-', 'n', '-', '-'],
    ['proxywrite', 'unix', '-', '-', 'n', '-', '1'],
    ['smtp', 'unix', '-', '-', 'n', '-', '-'],
    ['relay', 'unix', '-', '-', 'n', '-', '-'],
    ['showq', 'unix', 'n', '-', 'n', '-', '-'],
    ['error', 'unix', '-', '-', 'n', '-', '-'],
    ['retry', 'unix', '-', '-', 'n', '-', '-'],
    ['discard', 'unix', '-', '-', 'n', '-', '-'],
    ['local', 'unix', '-', 'n', 'n', '-', '-'],
    ['virtual', 'unix', '-', 'n', 'n', '-', '-'],
    ['lmtp', 'unix', '-', '-', 'n', '-', '-'],
    ['anvil', 'unix', '-', '-', 'n', '-', '1'],
    ['scache', 'unix', '-', '-', 'n', '-', '1'],
    ['postlog', 'unix-dgram', 'n', '-', 'n', '-', '1'],
  ];
  const command = { rewrite: 'trivial-rewrite', defer: 'bounce', trace: 'bounce', proxywrite: 'proxymap', relay: 'smtp', retry: 'error', postlog: 'postlogd' };
  return `${rows.map((r) => [...r, r[1] === 'inet' ? 'smtpd' : (command[r[0]] ?? r[0])].join('  ')).join('\n')}\n`;
}

/** The main.cf lines of an instance whose queue, data and log live under `dir`. */
export function baseMainCf(dir, hostname) {
  return [
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/queue`,
    `data_directory = ${dir}/data`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    `myhostname = ${hostname}`,
    // No local domains and no trusted clients: a gateway facing the internet. Callers add what they need.
    'mydestination =',
    'mynetworks =',
    'alias_maps =',
    'alias_database =',
    // There is no syslog in CI containers: postlogd writes the log file (Postfix 3.4+).
    `maillog_file = ${dir}/maillog`,
    `maillog_file_prefixes = ${dir}`,
    'smtputf8_enable = yes',
  ];
}

/**
 * Deploys built Postfix artifacts as docs/postfix.md says: copy each map into `maps` and
 * postmap it, then `postconf -e` every line of the artifacts' main.cf (grep -Ev '^(#|$)'
 * main.cf | xargs -d '\n' postconf -e). Throws on any failure or warning.
 */
export function deployArtifacts({ artifacts, config, maps, mapType = 'hash', postmap, postconf }) {
  for (const f of readdirSync(artifacts)) {
    if (f === 'main.cf') continue;
    copyFileSync(join(artifacts, f), join(maps, f));
    const r = spawnSync(postmap, ['-c', config, `${mapType}:${join(maps, f)}`], { encoding: 'utf8' });
    if (r.status !== 0 || r.stderr.includes('warning')) throw new Error(`postmap ${f}: ${r.stderr}`);
  }
  const lines = readFileSync(join(artifacts, 'main.cf'), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'));
  const e = spawnSync(postconf, ['-c', config, '-e', ...lines], { encoding: 'utf8' });
  if (e.status !== 0 || e.stderr !== '') throw new Error(`postconf -e: ${e.stderr}`);
}

/**
 * Stops a private instance: `postfix -c CONFIG stop`, which waits for the master to end.
 * If that has not finished within `ms` (a wedged instance must not hang the suite), the
 * master's whole process group (the master calls setsid(), so its children share it) is
 * killed. Resolves with how it ended.
 */
export async function stopPostfix({ postfix, config, pidFile, ms = 60_000 }) {
  const stop = spawn(postfix, ['-c', config, 'stop'], { stdio: 'ignore' });
  const ended = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    stop.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? 'stopped' : 'failed');
    });
    stop.on('error', () => {
      clearTimeout(timer);
      resolve('failed');
    });
  });
  if (ended === 'stopped') return ended;
  stop.kill('SIGKILL');
  let pid = NaN;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    // no pid file: the master is not running
  }
  if (Number.isInteger(pid) && pid > 1) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return ended === 'timeout' ? 'killed' : ended;
}
