import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The set-up of the containment tests (test/hardening/containment-*.test.ts): a temporary
 * git repository beside a directory of secrets, and the built CLI run in a child process
 * whose environment holds a secret, so /proc/self/environ really contains it. Several
 * commands run in one child (one process start per batch, not per command).
 */

export const repoRoot: string = new URL('../..', import.meta.url).pathname;
const mainJs = join(repoRoot, 'dist/cli/main.js');

/** Whether the built CLI exists; without it the tests skip with a reason, except in CI. */
export function builtCli(): boolean {
  if (existsSync(mainJs)) return true;
  const reason = `${mainJs} is missing: run "npm run build" first`;
  if (process.env['CI']) throw new Error(reason);
  console.warn(`skipping the containment tests of the built CLI: ${reason}`);
  return false;
}

/** Every output format of lint. */
export const LINT_FORMATS = ['text', 'json', 'sarif', 'github', 'gitlab', 'markdown', 'junit'] as const;

export interface Sandbox {
  /** The parent of everything: repo/, outside/, victim/. */
  readonly top: string;
  readonly repo: string;
  readonly outside: string;
  readonly victim: string;
  /** The secret in the environment of every run. */
  readonly envSecret: string;
  /** The secret in the files outside the repository. */
  readonly fileSecret: string;
}

/** A git repository with secrets beside it. */
export function sandbox(name: string): Sandbox {
  const top = mkdtempSync(join(tmpdir(), `chainmail-${name}-`));
  const repo = join(top, 'repo');
  const outside = join(top, 'outside');
  const victim = join(top, 'victim');
  for (const d of [repo, outside, victim]) mkdirSync(d);
  spawnSync('git', ['init', '-q', repo], { stdio: 'ignore' });
  const envSecret = `ghs_ENV${randomBytes(12).toString('hex')}`;
  const fileSecret = `FILE${randomBytes(12).toString('hex')}`;
  // a mailbox-file-shaped secret and a YAML-shaped one: both would be echoed if read
  writeFileSync(join(outside, 'secret.txt'), `${fileSecret}@example.com\n${fileSecret}\n`);
  writeFileSync(join(outside, 'secret.yaml'), `systems:\n  ${fileSecret}: { kind: postfix, host: "${fileSecret}" }\n`);
  writeFileSync(join(victim, 'file'), 'keep me\n');
  return { top, repo, outside, victim, envSecret, fileSecret };
}

export interface CliRun {
  readonly argv: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Batch {
  readonly runs: readonly CliRun[];
  /** Peak resident set of the child, bytes (getrusage ru_maxrss). */
  readonly maxRss: number;
  readonly status: number | null;
  readonly signal: string | null;
  /** The child's own stderr when it did not finish (a crash, the hang guard). */
  readonly error?: string;
}

// runs main(argv, io) for each argv list, in order, and prints the results as JSON
const RUNNER = `
const { main } = await import(process.env.CHAINMAIL_MAIN);
const lists = JSON.parse(process.argv[1]);
const runs = [];
for (const argv of lists) {
  let stdout = '', stderr = '';
  const io = { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, cwd: process.cwd(), env: process.env, isTTY: false };
  const code = await main(argv, io);
  runs.push({ argv, code, stdout, stderr });
}
process.stdout.write(JSON.stringify({ runs, maxRss: process.resourceUsage().maxRSS * 1024 }));
`;

/** Runs CLI commands in one child process in `cwd`, with the sandbox's secret in its environment. */
export function cli(box: Sandbox, lists: readonly (readonly string[])[], cwd = box.repo): Batch {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', RUNNER, JSON.stringify(lists)], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', CHAINMAIL_SECRET_TOKEN: box.envSecret, CHAINMAIL_MAIN: pathToFileURL(mainJs).href },
    maxBuffer: 256 * 1024 * 1024,
    // a hang guard only: every command here answers in well under a second on an idle machine
    timeout: 60_000,
  });
  if (r.status !== 0) return { runs: [], maxRss: 0, status: r.status, signal: r.signal, error: r.stderr };
  const parsed = JSON.parse(r.stdout) as { runs: CliRun[]; maxRss: number };
  return { ...parsed, status: r.status, signal: r.signal };
}

/** Every place a secret could leak from one batch: stdout and stderr of every run. */
export function leaks(box: Sandbox, batch: Batch): string[] {
  const out: string[] = [];
  for (const r of batch.runs) {
    for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
      for (const secret of [box.envSecret, box.fileSecret]) if (text.includes(secret)) out.push(`${r.argv.join(' ')} ${stream} holds ${secret}`);
    }
  }
  return out;
}

/** Type, size, content hash and link target of everything under `dir` (what "nothing changed" compares). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const abs = join(d, name);
      const key = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) out.set(key, `link ${readlinkSync(abs)}`);
      else if (st.isDirectory()) {
        out.set(key, 'dir');
        walk(abs, key);
      } else if (st.isFile()) out.set(key, `file ${st.size} ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`);
      else out.set(key, 'other');
    }
  };
  walk(dir, '');
  return out;
}

/** Writes files under `dir` (parents created). */
export function write(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

/** The seed's method 1 (examples/method1): Exchange shares example.com with a Postfix server (`unix`), with lines added at the top and to `unix`. */
export function org(extra: { top?: string; unix?: string } = {}): string {
  const seed = readFileSync(join(repoRoot, 'examples/method1/chainmail.yaml'), 'utf8').replace(/^#[^\n]*\n/gm, '');
  const unix = '    mailboxes: [carol@example.com, dave@example.com]\n';
  if (!seed.includes(unix)) throw new Error('examples/method1/chainmail.yaml changed: update org()');
  return seed.replace('version: 1\n', `version: 1\n${extra.top ?? ''}`).replace(unix, `${unix}${extra.unix ?? ''}`);
}
