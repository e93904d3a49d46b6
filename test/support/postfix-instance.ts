import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agePostfixConfig, type MapType } from './postfix.js';
import { baseMainCf, ensureLogQueue, masterCf, postfixIds, stopPostfix } from './postfix-config.mjs';
import { findTool, freePort, requireTool, run } from './tools.js';

/**
 * A private Postfix instance for integration tests: its own config_directory, queue,
 * data directory and log file in a temp dir, one smtpd on 127.0.0.1:<free port>, started
 * with `postfix -c DIR start` and stopped with `postfix -c DIR stop`. Needs root (the
 * master runs as root and drops to the `postfix` user), as on CI.
 */
export interface PostfixInstance {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The temp dir; config in `etc/`, queue in `queue/`, log in `maillog`. */
  readonly dir: string;
  readonly configDir: string;
  /** The log so far (maillog_file, written by postlogd). */
  log(): string;
  /** Resolves when a log line matches, rejects after `ms` with the log in the message. */
  waitForLog(pattern: RegExp, ms?: number): Promise<string>;
  /** Runs `postconf -c DIR ...args` (e.g. `['-h', 'relay_domains']`). */
  postconf(args: readonly string[]): Promise<string>;
  /** Stops Postfix and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface PostfixInstanceOptions {
  /** main.cf lines (`name = value`) applied after the base settings; `$config_directory` names the map dir. */
  readonly mainCf?: string | readonly string[];
  /** Map source files written to the config dir and built with `postmap` (e.g. `{ transport: '...' }`). */
  readonly maps?: Readonly<Record<string, string>>;
  readonly mapType?: MapType;
  /** myhostname (default chainmail-test.localdomain); chained instances need distinct names. */
  readonly hostname?: string;
}

/**
 * Whether this machine can run a private Postfix (the tools and root). Under CI a missing
 * piece throws, so the test fails; elsewhere it warns once and returns false.
 */
export function requirePostfixInstance(): boolean {
  if (!requireTool('postfix') || !requireTool('postmap') || !requireTool('postconf')) return false;
  if (process.getuid?.() === 0) return true;
  const reason = 'a private Postfix instance needs root (the master daemon runs as root)';
  if (process.env.CI) throw new Error(`${reason}; CI is set, so the test fails instead of skipping`);
  console.warn(`skipping: ${reason}`);
  return false;
}

const running = new Map<string, number>();
process.once('exit', () => {
  // A crashed test must not leave a mail system running: SIGTERM makes master stop its children.
  for (const pid of running.values()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Starts a private Postfix; see {@link PostfixInstance}. */
export async function startPostfix(options: PostfixInstanceOptions = {}): Promise<PostfixInstance> {
  const postfix = findTool('postfix');
  const postmap = findTool('postmap');
  const postconf = findTool('postconf');
  if (!postfix || !postmap || !postconf) throw new Error('postfix not found: run .ci/install-system-packages.sh');
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-postfix-'));
  // mkdtemp makes it 0700; the postfix user must reach the queue and the config.
  chmodSync(dir, 0o755);
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  mkdirSync(join(dir, 'queue'));
  mkdirSync(join(dir, 'data'));
  const { uid, gid } = postfixIds();
  chownSync(join(dir, 'data'), uid, gid);
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const extra = typeof options.mainCf === 'string' ? options.mainCf.split('\n') : [...(options.mainCf ?? [])];
    const lines = [...baseMainCf(dir, options.hostname ?? 'chainmail-test.localdomain'), ...extra.filter((l) => l.trim() && !l.trim().startsWith('#'))];
    writeFileSync(join(etc, 'main.cf'), lines.join('\n') + '\n');
    agePostfixConfig(etc);
    for (const [name, content] of Object.entries(options.maps ?? {})) {
      writeFileSync(join(etc, name), content);
      const built = await run(postmap, ['-c', etc, `${options.mapType ?? 'hash'}:${join(etc, name)}`]);
      if (built.code !== 0) throw new Error(`postmap ${name} failed: ${built.stderr.trim()}`);
    }
    ensureLogQueue();
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      writeFileSync(join(etc, 'master.cf'), masterCf(port));
      agePostfixConfig(etc);
      const started = await run(postfix, ['-c', etc, 'start']);
      const pidFile = join(dir, 'queue', 'pid', 'master.pid');
      let up = false;
      for (let i = 0; started.code === 0 && i < 100 && !up; i++) {
        up = await portOpen(port);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      const log = (): string => (existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8') : '');
      if (up) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        running.set(dir, pid);
        return instance(dir, etc, port, log, postfix, postconf, cleanup);
      }
      last = `${started.stderr.trim()}\n${log()}`;
      await run(postfix, ['-c', etc, 'abort']);
    }
    throw new Error(`postfix did not start: ${last}`);
  } catch (e) {
    cleanup();
    throw e;
  }
}

function instance(dir: string, etc: string, port: number, log: () => string, postfix: string, postconf: string, cleanup: () => void): PostfixInstance {
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    dir,
    configDir: etc,
    log,
    async waitForLog(pattern, ms = 20_000) {
      const end = Date.now() + ms;
      for (;;) {
        const line = log()
          .split('\n')
          .find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (Date.now() > end) throw new Error(`no log line matches ${pattern}; log:\n${log()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async postconf(args) {
      const r = await run(postconf, ['-c', etc, ...args]);
      if (r.code !== 0) throw new Error(`postconf ${args.join(' ')} failed: ${r.stderr.trim()}`);
      return r.stdout;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // `postfix stop` waits for the master to terminate (postfix-script polls its pid).
      const ended = await stopPostfix({ postfix, config: etc, pidFile: join(dir, 'queue', 'pid', 'master.pid') });
      if (ended === 'failed') await run(postfix, ['-c', etc, 'abort']);
      running.delete(dir);
      cleanup();
    },
  };
}
