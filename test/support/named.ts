import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './tools.js';

/**
 * A private BIND `named` on 127.0.0.1 for the dns target's tests: its own config directory,
 * a free port, no recursion, no rndc, foreground (`-g`, logs on stderr). Started zones are
 * authoritative copies of what the test writes; nothing leaves loopback.
 */
export interface Named {
  readonly port: number;
  /** `127.0.0.1:PORT`, for `--resolver` and Resolver#setServers. */
  readonly server: string;
  readonly dir: string;
  /** A node:dns Resolver that asks only this named. */
  resolver(): Resolver;
  /** SIGTERM, then SIGKILL after 20 s; removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Zone name -> zone file text, given named's directory (to `$INCLUDE` files written there). */
export type Zones = Readonly<Record<string, (dir: string) => string>>;

/** Starts named with `zones`; `prepare(dir)` writes extra files (fragments to include) first. */
export async function startNamed(named: string, zones: Zones, prepare: (dir: string) => void = () => {}): Promise<Named> {
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-named-'));
  prepare(dir);
  for (const [zone, text] of Object.entries(zones)) writeFileSync(join(dir, `${zone}.db`), text(dir));
  let lastError = '';
  // the port was free a moment ago; another process may take it first: try a few
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    writeFileSync(join(dir, 'named.conf'), config(dir, port, Object.keys(zones)));
    const child = spawn(named, ['-g', '-4', '-n', '1', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const started = await running(child);
    if (started.ok) return handle(child, port, dir);
    lastError = started.log;
    await stopChild(child);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`named did not start:\n${lastError}`);
}

function config(dir: string, port: number, zones: readonly string[]): string {
  return [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${join(dir, 'named.pid')}";`,
    `  session-keyfile "${join(dir, 'session.key')}";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  allow-query { 127.0.0.1; };',
    '  dnssec-validation no;',
    '  notify no;',
    '};',
    'controls { };',
    ...zones.map((z) => `zone "${z}" { type primary; file "${join(dir, `${z}.db`)}"; };`),
    '',
  ].join('\n');
}

/** Resolves when named logs "running" (ok) or exits or fails to listen (not ok); bounded by events, 60 s at most. */
function running(child: ChildProcess): Promise<{ ok: boolean; log: string }> {
  return new Promise((resolve) => {
    let log = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      child.stderr?.removeAllListeners('data');
      child.removeAllListeners('exit');
      resolve({ ok, log });
    };
    const timer = setTimeout(() => done(false), 60_000);
    child.stderr?.on('data', (b: Buffer) => {
      log += b.toString('utf8');
      if (/\brunning\b/.test(log)) done(true);
      else if (/could not listen|address in use|loading configuration: failure|exiting \(due to fatal error/i.test(log)) done(false);
    });
    child.once('exit', () => done(false));
  });
}

function handle(child: ChildProcess, port: number, dir: string): Named {
  // keep reading stderr so named never blocks on a full pipe
  child.stderr?.on('data', () => undefined);
  let stopped: Promise<void> | undefined;
  return {
    port,
    server: `127.0.0.1:${port}`,
    dir,
    resolver() {
      const r = new Resolver({ timeout: 5000, tries: 3 });
      r.setServers([`127.0.0.1:${port}`]);
      return r;
    },
    stop() {
      stopped ??= stopChild(child).then(() => rmSync(dir, { recursive: true, force: true }));
      return stopped;
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A zone file around a fragment in named's directory: the SOA and NS the test adds, then `$INCLUDE` of the fragment. */
export function zoneAround(zone: string, fragment: string, extra: readonly string[] = []): (dir: string) => string {
  return (dir) => [
    `$ORIGIN ${zone}.`,
    '$TTL 3600',
    `@ IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 86400 3600`,
    `@ IN NS ns1.${zone}.`,
    'ns1 IN A 127.0.0.1',
    ...extra,
    `$INCLUDE "${join(dir, fragment)}"`,
    '',
  ].join('\n');
}
