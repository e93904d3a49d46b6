import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { repoRoot } from '../support/fixtures.js';

/** The captured result of one in-process CLI run. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** How many times the command wrote to stdout (streaming shows as several writes). */
  readonly writes: number;
}

/** Runs `chainmail ARGV` in-process with cwd = the repository root, capturing the streams. */
export async function run(argv: readonly string[], options: { isTTY?: boolean; stdin?: string | Uint8Array; env?: Record<string, string> } = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    cwd: repoRoot,
    env: options.env ?? {},
    isTTY: options.isTTY ?? false,
    ...(options.stdin !== undefined ? { readStdin: async () => options.stdin ?? '' } : {}),
  };
  const code = await main(argv, io);
  return { code, stdout: out.join(''), stderr: err.join(''), writes: out.length };
}
