import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { loadModel } from '../../src/pipeline.js';
import type { Model } from '../../src/model/model.js';

export const repoRoot: string = new URL('../..', import.meta.url).pathname;

/** The route diff corpus: testdata/diff/NNN-name/{base,head}.yaml with plan.txt and plan.md goldens. */
export const diffCases: readonly string[] = readdirSync(join(repoRoot, 'testdata/diff'))
  .filter((d) => /^\d{3}-/.test(d))
  .sort();

/** An in-process CLI run (no TTY, empty environment unless given). */
export async function cli(
  args: readonly string[],
  cwd = repoRoot,
  extra: Partial<Pick<CliIo, 'env' | 'isTTY' | 'isStderrTTY'>> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd, env: {}, isTTY: false, ...extra };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** Loads a model that must load. */
export function model(file: string): Model {
  const loaded = loadModel(file, { cwd: repoRoot });
  if (!loaded.model) throw new Error(`${file}: ${loaded.fatal ?? 'no model'}`);
  return loaded.model;
}

/**
 * Whether git can be run: a test of `plan --base REF` skips without it on a laptop (saying
 * why, as `what`) and fails in CI.
 */
export function gitAvailable(what: string): boolean {
  if (spawnSync('git', ['--version']).status === 0) return true;
  if (process.env['CI']) throw new Error('git is not installed (required in CI)');
  console.warn(`skipping ${what}: git is not installed`);
  return false;
}

/** git in `repo()` (read when called: a repository made in beforeAll) as a test author commits. */
export function gitIn(repo: () => string): (...args: string[]) => string {
  return (...args) => execFileSync('git', ['-c', 'user.name=chainmail test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: repo(), encoding: 'utf8' });
}
