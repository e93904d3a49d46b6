import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseMainCf, deployArtifacts, ensureLogQueue, masterCf, postfixIds, stopPostfix } from './postfix-config.mjs';
import { findTool, run } from './tools.js';

/**
 * A private Postfix instance and smtp-sink listeners on loopback, for the end-to-end test of
 * the Postfix artifacts. Everything lives in one temp directory (config_directory,
 * queue_directory, data_directory, the maps) and is removed by stop(). Postfix runs as root
 * here (the test machine's user) and drops to the `postfix` user as usual.
 */

function tool(name: string): string {
  const p = findTool(name);
  if (!p) throw new Error(`${name} not found: run .ci/install-system-packages.sh`);
  return p;
}

/** The directories of an instance; `maps` is what `build --postfix-dir` must name. */
export interface PostfixDirs {
  readonly base: string;
  readonly config: string;
  readonly maps: string;
}

export function makePostfixDirs(): PostfixDirs {
  const base = mkdtempSync(join(tmpdir(), 'chainmail-pf-'));
  // the postfix user must reach the maps and the queue
  chmodSync(base, 0o755);
  const dirs = { base, config: join(base, 'conf'), maps: join(base, 'maps') };
  for (const d of [dirs.config, dirs.maps, join(base, 'queue'), join(base, 'data')]) mkdirSync(d, { mode: 0o755 });
  try {
    chownSync(join(base, 'data'), postfixIds().uid, -1);
  } catch {
    // not root: Postfix will say so when it starts
  }
  return dirs;
}

export interface PostfixInstance {
  readonly dirs: PostfixDirs;
  readonly port: number;
  /** The instance's log (maillog_file). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Deploys built Postfix artifacts the way docs/postfix.md says (copy the maps, postmap each,
 * postconf -e every main.cf line) into a fresh instance listening on 127.0.0.1:port, and
 * starts it. `artifacts` is DIR/<system>/postfix of a build made with --postfix-dir dirs.maps.
 */
export async function startPostfix(dirs: PostfixDirs, artifacts: string, port: number, mapType = 'hash'): Promise<PostfixInstance> {
  const { base, config, maps } = dirs;
  const log = join(base, 'maillog');
  ensureLogQueue();
  // deliver at once; a test never waits for a retry
  writeFileSync(join(config, 'main.cf'), `${[...baseMainCf(base, 'gw.chainmail.test'), 'smtp_connect_timeout = 5s'].join('\n')}\n`);
  writeFileSync(join(config, 'master.cf'), masterCf(port));
  deployArtifacts({ artifacts, config, maps, mapType, postmap: tool('postmap'), postconf: tool('postconf') });
  const started = await run(tool('postfix'), ['-c', config, 'start']);
  const readLog = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  if (started.code !== 0) {
    rmSync(base, { recursive: true, force: true });
    throw new Error(`postfix start failed (${started.code}): ${started.stderr}\n${readLog()}`);
  }
  await waitForPort(port);
  return {
    dirs,
    port,
    log: readLog,
    async stop() {
      const ended = await stopPostfix({ postfix: tool('postfix'), config, pidFile: join(base, 'queue', 'pid', 'master.pid') });
      if (ended === 'failed') await run(tool('postfix'), ['-c', config, 'abort']);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** An smtp-sink(1) listener that dumps every transaction into `dir` (one file each, -d). */
export interface Sink {
  readonly port: number;
  readonly dir: string;
  /** Envelope recipients of every message received so far (X-Rcpt-Args), lower-cased. */
  recipients(): string[];
  stop(): Promise<void>;
}

export async function startSink(port: number): Promise<Sink> {
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-sink-'));
  chmodSync(dir, 0o777); // smtp-sink drops to "nobody" (-u) before it writes
  const child: ChildProcess = spawn(tool('smtp-sink'), ['-u', 'nobody', '-d', `${dir}/%M.`, `127.0.0.1:${port}`, '20'], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    port,
    dir,
    recipients() {
      const out: string[] = [];
      for (const f of readdirSync(dir)) {
        for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
          const m = /^X-Rcpt-Args: <([^>]*)>/.exec(line);
          if (m?.[1] !== undefined) out.push(m[1].toLowerCase());
        }
      }
      return out.sort();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server's reply to RCPT TO (e.g. "550 5.1.1 <x@y>: ..."), from a real SMTP client (swaks). */
export async function sendMail(port: number, to: string, from = 'sender@client.test'): Promise<{ rcpt: string; accepted: boolean; transcript: string }> {
  const r = await run(tool('swaks'), ['--server', `127.0.0.1:${port}`, '--helo', 'client.test', '--from', from, '--to', to, '--timeout', '20']);
  const lines = r.stdout.split('\n');
  const at = lines.findIndex((l) => /^ -> RCPT TO:/i.test(l));
  const reply = (at >= 0 ? lines.slice(at + 1).find((l) => /^<(-|\*\*) /.test(l)) : undefined) ?? '';
  const rcpt = reply.replace(/^<(-|\*\*) +/, '');
  return { rcpt, accepted: /^250 /.test(rcpt) && /queued as/.test(r.stdout), transcript: r.stdout + r.stderr };
}

/** Resolves once something listens on 127.0.0.1:port (up to ~10 s). */
export async function waitForPort(port: number, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** Polls `check` until it returns true (up to `ms`). */
export async function eventually(check: () => boolean, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}
