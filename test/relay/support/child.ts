import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './org.js';

export const repoRoot = new URL('../../..', import.meta.url).pathname;
export const bin = join(repoRoot, 'dist', 'cli', 'bin.js');

/** Whether the built CLI exists (npm test builds it first; `npx vitest` alone may not have). */
export function requireBuiltCli(): boolean {
  if (existsSync(bin)) return true;
  const reason = `${bin} is missing: run npm run build (npm test does)`;
  if (process.env['CI']) throw new Error(reason);
  console.warn(`skipping tests that run the built CLI: ${reason}`);
  return false;
}

/** `chainmail relay ...` as a child process, with its log lines parsed. */
export interface RelayChild {
  readonly proc: ChildProcess;
  readonly events: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** Waits for a log event matching `pred`. */
  event(pred: (e: Record<string, unknown>) => boolean, timeout?: number): Promise<Record<string, unknown>>;
}

export function spawnRelay(args: readonly string[]): RelayChild {
  const proc = spawn(process.execPath, [bin, 'relay', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let text = '';
  let partial = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => {
    text += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      try {
        events.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // not a log line (an error message): kept in stderr()
      }
    }
  });
  let exit: number | string | undefined;
  const exited = new Promise<number | string>((resolve) =>
    proc.on('exit', (code, signal) => {
      exit = code ?? signal ?? -1;
      resolve(exit);
    }),
  );
  return {
    proc,
    events,
    stderr: () => text,
    exited,
    event: (pred, timeout = 15_000) =>
      waitFor(
        () => {
          const e = events.find(pred);
          if (e) return e;
          if (exit !== undefined) throw new Error(`the relay exited (${exit}): ${text.slice(-500)}`);
          return undefined;
        },
        timeout,
        () => `a log event (stderr so far: ${text.slice(-500)})`,
      ),
  };
}
