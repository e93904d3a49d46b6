import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

/** The repository root (fixtures are shown relative to it). */
export const repoRoot: string = new URL('../..', import.meta.url).pathname;

/** This folder's fixtures, relative to the repository root. */
export const fixture = (name: string): string => `test/cli/fixtures/${name}`;

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  /** The whole environment of the run (nothing is inherited from the test process). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly isTTY?: boolean;
}

/** Runs the CLI in-process through `main(argv, io)` with an io that captures both streams. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? {},
    isTTY: options.isTTY ?? false,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Parses `--format json` output. */
export interface JsonReport {
  version: number;
  diagnostics: {
    ruleId: string;
    severity: 'error' | 'warning';
    message: string;
    file: string;
    line: number;
    column: number;
    endLine: number;
    endColumn: number;
    related?: { message: string; file: string; line: number; column: number; endLine: number; endColumn: number }[];
    fix?: { description: string; yaml: string };
  }[];
  summary: { errors: number; warnings: number };
}

/** A one-line message without a stack trace ("    at fn (file:1:2)"). */
export function isOneLineMessage(stderr: string): boolean {
  return /^[^\n]+\n$/.test(stderr) && !/\n\s+at /.test(stderr);
}
