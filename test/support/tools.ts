import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/**
 * The real programs the integration tests run. Debian puts the Postfix and slapd
 * daemons in /usr/sbin, which is not in every user's PATH, so that is searched too.
 * .ci/install-system-packages.sh installs all of them (BIND's named and named-checkzone
 * from Debian's bind9 and bind9-utils).
 */
export type ToolName =
  | 'postmap'
  | 'postconf'
  | 'postfix'
  | 'smtp-sink'
  | 'smtp-source'
  | 'slapd'
  | 'slapadd'
  | 'slaptest'
  | 'ldapadd'
  | 'ldapsearch'
  | 'swaks'
  | 'named'
  | 'named-checkzone';

const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const warned = new Set<string>();

/** The absolute path of an executable, or undefined. */
export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

/**
 * The path of a real tool a test needs. When it is missing: under CI (CI set) this throws,
 * so the test FAILS rather than silently skipping; on a developer machine it warns once
 * and returns undefined, so the caller can `describe.skipIf(!tool)`.
 */
export function requireTool(name: ToolName): string | undefined {
  const path = findTool(name);
  if (path) return path;
  const reason = `${name} not found in PATH or /usr/sbin: run .ci/install-system-packages.sh (as root)`;
  if (process.env.CI) throw new Error(`${reason}; CI is set, so tests that need it fail instead of skipping`);
  if (!warned.has(name)) {
    warned.add(name);
    console.warn(`skipping tests that need ${reason}`);
  }
  return undefined;
}

/** Every tool of the list, or undefined (with the same CI rule) when one is missing. */
export function requireTools<const T extends readonly ToolName[]>(...names: T): Record<T[number], string> | undefined {
  const out: Partial<Record<ToolName, string>> = {};
  let missing = false;
  for (const n of names) {
    const p = requireTool(n);
    if (p) out[n] = p;
    else missing = true;
  }
  return missing ? undefined : (out as Record<T[number], string>);
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it for port 0).
 * There is a small race until the caller binds it; servers started with it should be
 * started once more with a new port if they fail to bind.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** The result of running a program (the OpenLDAP and Postfix command-line tools). */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with optional standard input; never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], input?: string | Uint8Array): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    // A program that exits without reading its input must not crash the test with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}
