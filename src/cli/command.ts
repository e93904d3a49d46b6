import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';

/** A CLI command: its one-line synopsis, help text, and runner returning the exit code. */
export interface Command {
  readonly synopsis: string;
  readonly help: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Parses options strictly; `--help` prints the command's help. */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O & { help: { type: 'boolean' } }; allowPositionals: true; strict: true }>> {
  return parseArgs({
    args: [...args],
    options: { ...options, help: { type: 'boolean' as const } },
    allowPositionals: true,
    strict: true,
  });
}

/** Parses a non-negative integer option, or throws a usage error naming it. */
export function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} needs a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}
