import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { repoRoot } from '../support/fixtures.js';

/**
 * The numbered golden corpus of `chainmail build` (testdata/compile/NNN-name/out/...): the
 * examples and the Postfix gateway fixture, some with build options.
 */
export interface BuildCase {
  readonly id: string;
  /** Relative to the repository root. */
  readonly input: string;
  /** Extra `chainmail build` options. */
  readonly args: readonly string[];
}

const all: BuildCase[] = [
  { id: '001-method1', input: 'examples/method1/chainmail.yaml', args: [] },
  { id: '002-method2', input: 'examples/method2/chainmail.yaml', args: [] },
  { id: '003-postfix-gateway', input: 'testdata/compile/003-postfix-gateway/chainmail.yaml', args: [] },
  { id: '004-forests', input: 'examples/forests/chainmail.yaml', args: [] },
  { id: '005-idn-chain', input: 'examples/idn-chain/chainmail.yaml', args: [] },
  {
    id: '006-method2-postfix-for',
    input: 'examples/method2/chainmail.yaml',
    args: ['--postfix-for', 'exchange', '--map-type', 'lmdb', '--with-ous', '--postfix-dir', '/etc/postfix/xo'],
  },
  { id: '007-postfix-edges', input: 'testdata/compile/007-postfix-edges/chainmail.yaml', args: [] },
];

/** The cases whose input exists (examples may come and go). */
export const buildCases: readonly BuildCase[] = all.filter((c) => existsSync(join(repoRoot, c.input)));

/** An in-process CLI run: exit code and everything printed. */
export async function cli(args: readonly string[], cwd = repoRoot): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd, env: {}, isTTY: false };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** Every file under `dir`, by relative path (forward slashes), with its bytes. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, prefix: string): void => {
    for (const f of readdirSync(d).sort()) {
      const abs = join(d, f);
      if (statSync(abs).isDirectory()) walk(abs, `${prefix}${f}/`);
      else out.set(`${prefix}${f}`, readFileSync(abs));
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

/** Runs `chainmail build` for a case into a fresh directory and returns what it wrote. */
export async function buildCase(c: BuildCase): Promise<{ code: number; stderr: string; files: Map<string, Buffer> }> {
  const out = mkdtempSync(join(tmpdir(), `chainmail-${c.id}-`));
  try {
    const r = await cli(['build', c.input, '--out', out, ...c.args]);
    return { code: r.code, stderr: r.stderr, files: readTree(out) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Text of an artifact for a golden: UTF-16LE with BOM (csvde -u) decoded, else UTF-8. */
export function artifactText(b: Buffer): string {
  return b[0] === 0xff && b[1] === 0xfe ? b.subarray(2).toString('utf16le') : b.toString('utf8');
}
