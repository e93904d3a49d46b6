import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtCli, cli, leaks, org, sandbox, snapshot, write, type Batch, type Sandbox } from '../support/contained-cli.js';

/**
 * The committed artifact directory is data a pull request controls (issue 12): symbolic
 * links planted under --out, manifest.json entries that point through them or climb out with
 * `..`, --out itself a link, a hard link to a secret. build, build --check and plan must
 * follow no link, read, write and remove only regular files inside --out, and report each
 * manifest entry they ignore. Through the built CLI, with a secret in the environment.
 */

const built = builtCli();
const boxes: Sandbox[] = [];
afterAll(() => {
  for (const b of boxes) rmSync(b.top, { recursive: true, force: true });
});

/** A sandbox with a clean build in repo/out. */
function withBuild(name: string): Sandbox {
  const box = sandbox(name);
  boxes.push(box);
  write(box.repo, { 'chainmail.yaml': org() });
  const first = cli(box, [['build', 'chainmail.yaml', '--out', 'out']]);
  expect(first.runs[0]?.code, first.runs[0]?.stderr).toBe(0);
  return box;
}

/** Adds entries to out/manifest.json, as a pull request can. */
function claim(box: Sandbox, ...paths: string[]): void {
  const file = join(box.repo, 'out/manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8')) as { files: { path: string; sha256: string; bytes: number }[] };
  for (const path of paths) m.files.push({ path, sha256: '0'.repeat(64), bytes: 1 });
  writeFileSync(file, JSON.stringify(m));
}

const PLAN_AND_BUILD: string[][] = [
  ['plan', 'chainmail.yaml', '--out', 'out', '--format', 'markdown'],
  ['plan', 'chainmail.yaml', '--out', 'out', '--format', 'text'],
  ['plan', 'chainmail.yaml', '--out', 'out', '--format', 'json'],
  ['build', 'chainmail.yaml', '--out', 'out', '--check'],
  ['build', 'chainmail.yaml', '--out', 'out'],
];

/** The directories outside the repository, and the list of the sandbox's top (no temporary directory left beside it). */
function outsideState(box: Sandbox): unknown[] {
  return [snapshot(box.outside), snapshot(box.victim), readdirSync(box.top).sort()];
}

function stderrOf(batch: Batch): string {
  return batch.runs.map((r) => r.stderr).join('');
}

describe.skipIf(!built)('symbolic links and claims planted in the artifact directory', () => {
  it.each([
    ['lnk -> /proc/self, listed as lnk/environ (the environment into the plan comment)', (b: Sandbox) => symlinkSync('/proc/self', join(b.repo, 'out/lnk')), 'lnk/environ', '"lnk" is a symbolic link'],
    ['vic -> a directory outside, listed as vic/file (build would remove it)', (b: Sandbox) => symlinkSync(b.victim, join(b.repo, 'out/vic')), 'vic/file', '"vic" is a symbolic link'],
    ['a link as the last component, listed', (b: Sandbox) => symlinkSync(join(b.outside, 'secret.txt'), join(b.repo, 'out/secret')), 'secret', 'it is a symbolic link'],
    ['a path with .. in the middle', () => undefined, 'unix/../../../victim/file', 'it is not a plain relative path'],
    ['an absolute path', (b: Sandbox) => b.victim, '/VICTIM/file', 'it is not a plain relative path'],
    ['a path with an empty segment', () => undefined, 'unix//routes.json', 'it is not a plain relative path'],
    ['a path with a newline and a workflow command', () => undefined, 'x\n::error title=pwned::owned', 'it is not a plain relative path'],
  ])('%s: ignored with a warning, nothing read, removed or leaked', (_name, plant, entry, reason) => {
    const box = withBuild('containment-out');
    const victim = plant(box);
    const path = entry.replace('/VICTIM', typeof victim === 'string' ? victim : '');
    claim(box, path);
    const before = outsideState(box);
    const batch = cli(box, PLAN_AND_BUILD);
    expect(batch.error).toBeUndefined();
    expect(leaks(box, batch)).toEqual([]);
    // --check: manifest.json itself differs (it lists the planted entry); build rewrites it
    expect(batch.runs.map((r) => r.code)).toEqual([0, 0, 0, 1, 0]);
    // every run names the entry it ignored, escaped, on one line of stderr
    for (const r of batch.runs) {
      expect(r.stderr).toContain(`chainmail: warning: "out/manifest.json" lists ${JSON.stringify(path)}, which chainmail ignores: ${reason}\n`);
      expect(r.stderr.split('\n').some((l) => l.startsWith('::'))).toBe(false);
      expect(r.stdout).not.toContain('environ');
    }
    expect(outsideState(box)).toEqual(before);
    expect(readFileSync(join(box.victim, 'file'), 'utf8')).toBe('keep me\n');
  });

  it('writes nothing through a directory replaced by a link (unix -> victim): exit 2, one line', () => {
    const box = withBuild('containment-dirlink');
    rmSync(join(box.repo, 'out/unix'), { recursive: true });
    symlinkSync(box.victim, join(box.repo, 'out/unix'));
    const before = outsideState(box);
    const batch = cli(box, [...PLAN_AND_BUILD, ['build', 'chainmail.yaml', '--out', 'out', '--target', 'postfix']]);
    expect(leaks(box, batch)).toEqual([]);
    for (const r of batch.runs) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^chainmail (plan|build): \S+\/out\/unix is in the way: it is a symbolic link; remove it\n$/);
    }
    expect(outsideState(box)).toEqual(before);
  });

  it('refuses --out that is itself a symbolic link, or has one on the way below the working directory', () => {
    const box = withBuild('containment-outlink');
    symlinkSync('out', join(box.repo, 'out2'));
    symlinkSync(box.victim, join(box.repo, 'arts'));
    const before = outsideState(box);
    const batch = cli(box, [
      ['build', 'chainmail.yaml', '--out', 'out2'],
      ['build', 'chainmail.yaml', '--out', 'out2', '--check'],
      ['plan', 'chainmail.yaml', '--out', 'out2'],
      ['build', 'chainmail.yaml', '--out', 'arts/out'],
    ]);
    expect(batch.runs.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(batch.runs[0]?.stderr).toMatch(/^chainmail build: "\S+\/out2" is a symbolic link; --out must name a real directory \(resolve it yourself: --out "\$\(realpath DIR\)"\)\n$/);
    expect(batch.runs[3]?.stderr).toMatch(/^chainmail build: "\S+\/arts" is a symbolic link; --out must name a real directory/);
    expect(outsideState(box)).toEqual(before);
  });

  it('reads no hard link planted at an artifact path (it may be a file outside)', () => {
    const box = withBuild('containment-hardlink');
    rmSync(join(box.repo, 'out/unix/routes.json'));
    linkSync(join(box.outside, 'secret.txt'), join(box.repo, 'out/unix/routes.json'));
    const before = outsideState(box);
    const batch = cli(box, PLAN_AND_BUILD);
    expect(leaks(box, batch)).toEqual([]);
    for (const r of batch.runs) expect(r.stderr).toMatch(/out\/unix\/routes\.json is in the way: it is a file with 2 hard links; remove it\n$/);
    expect(outsideState(box)).toEqual(before);
  });

  it('still removes a regular file of the earlier build that its manifest lists (the control)', () => {
    const box = withBuild('containment-extra');
    mkdirSync(join(box.repo, 'out/old'));
    writeFileSync(join(box.repo, 'out/old/map'), 'x\n');
    claim(box, 'old/map');
    const batch = cli(box, [['build', 'chainmail.yaml', '--out', 'out']]);
    expect(batch.runs[0]?.stdout).toContain('removed  old/map\n');
    expect(stderrOf(batch)).toBe('');
  });
});
