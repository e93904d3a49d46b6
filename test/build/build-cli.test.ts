import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emit, writeArtifacts } from '../../src/compile/emit.js';
import { repoRoot } from '../support/fixtures.js';
import { cli, readTree } from './cases.js';

/** `chainmail build`, `build --check` and `plan` through the CLI, in process, in a temp directory. */
let work: string;
const GATEWAY = join(repoRoot, 'testdata/compile/003-postfix-gateway/chainmail.yaml');

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'chainmail-build-'));
  copyFileSync(GATEWAY, join(work, 'chainmail.yaml'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const run = (...args: string[]): ReturnType<typeof cli> => cli(args, work);
const edit = (from: string, to: string): void => {
  const file = join(work, 'chainmail.yaml');
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replaceAll(from, to));
};
// the partner's smart host; the fixture's route test names it too
const SMART_HOST = '[127.0.0.1]:2603';

describe('chainmail build', () => {
  it('writes every target and manifest.json, and nothing the second time', async () => {
    const first = await run('build', 'chainmail.yaml', '--out', 'out');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('wrote    gw/postfix/transport');
    const tree = readTree(join(work, 'out'));
    expect([...tree.keys()]).toContain('manifest.json');
    const manifest = JSON.parse(tree.get('manifest.json')?.toString() ?? '') as { files: { path: string }[] };
    expect(manifest.files.map((f) => f.path)).toEqual([...tree.keys()].filter((p) => p !== 'manifest.json'));
    const second = await run('build', 'chainmail.yaml', '--out', 'out');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/0 written, 0 removed, \d+ unchanged/);
  });

  it('is deterministic: the same input gives byte-identical output, from any directory', async () => {
    expect((await run('build', 'chainmail.yaml', '--out', 'a')).code).toBe(0);
    mkdirSync(join(work, 'elsewhere'));
    expect((await cli(['build', join(work, 'chainmail.yaml'), '--out', join(work, 'b')], join(work, 'elsewhere'))).code).toBe(0);
    const a = readTree(join(work, 'a'));
    const b = readTree(join(work, 'b'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [p, bytes] of a) expect(Buffer.compare(bytes, b.get(p) ?? Buffer.alloc(0)), p).toBe(0);
  });

  it('writes nothing when the file has lint errors, and prints them', async () => {
    edit('to: exchange\n', 'to: exchagne\n');
    const r = await run('build', 'chainmail.yaml', '--out', 'out');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[unknown-reference]');
    expect(r.stderr).toContain('nothing was written');
    expect(existsSync(join(work, 'out'))).toBe(false);
  });

  it('writes nothing when an artifact cannot be written correctly (a localTransport without ":")', async () => {
    edit('localTransport: "smtp:[127.0.0.1]:2600"', 'localTransport: "local"');
    const r = await run('build', 'chainmail.yaml', '--out', 'out');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('localTransport "local" of system "gw" is not of the form transport:nexthop');
    expect(existsSync(join(work, 'out'))).toBe(false);
  });

  it('removes the files of an earlier build that it no longer produces, and their empty directories', async () => {
    expect((await run('build', 'chainmail.yaml', '--out', 'out')).code).toBe(0);
    const r = await run('build', 'chainmail.yaml', '--out', 'out', '--target', 'routes');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('removed  gw/postfix/transport');
    expect(existsSync(join(work, 'out/gw/postfix'))).toBe(false);
    expect(existsSync(join(work, 'out/contacts'))).toBe(false);
    expect([...readTree(join(work, 'out')).keys()]).toEqual(['exchange/routes.json', 'gw/routes.json', 'manifest.json', 'unix/routes.json']);
  });

  it.each([
    [['build', 'chainmail.yaml'], '--out DIR is required'],
    [['build', 'chainmail.yaml', '--out', 'o', '--target', 'postfix,smtp'], 'unknown --target "smtp"'],
    [['build', 'chainmail.yaml', '--out', 'o', '--map-type', 'btree'], '--map-type must be hash or lmdb'],
    [['build', 'chainmail.yaml', '--out', 'o', '--postfix-dir', 'relative/dir'], '--postfix-dir must be an absolute path'],
    [['plan', 'chainmail.yaml', '--out', 'o', '--format', 'html'], 'unknown --format "html"'],
  ])('usage error %j: exit 2', async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('refuses --postfix-for with a name that is no system', async () => {
    const r = await run('build', 'chainmail.yaml', '--out', 'o', '--postfix-for', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--postfix-for names "nope", which is no system of the file');
  });
});

describe('atomic write', () => {
  it('leaves DIR unchanged when a write fails half-way (fault injected before the 3rd rename)', async () => {
    expect((await run('build', 'chainmail.yaml', '--out', 'out')).code).toBe(0);
    const before = readTree(join(work, 'out'));
    const files = emit(
      [...before].filter(([p]) => p !== 'manifest.json').map(([path, b]) => ({ path, content: `${b.toString()}changed\n` })).concat([{ path: 'new/dir/file', content: 'x\n' }]),
      { version: 'test', input: { file: 'x.yaml', sha256: '0', files: [] } },
    );
    let n = 0;
    expect(() =>
      writeArtifacts(join(work, 'out'), files, {
        beforeRename: () => {
          if (++n === 3) throw new Error('disk full');
        },
      }),
    ).toThrow(/disk full; nothing was changed/);
    const after = readTree(join(work, 'out'));
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [p, b] of before) expect(after.get(p)?.equals(b), p).toBe(true);
    // no temporary directory is left next to DIR
    expect(readdirSync(work).sort()).toEqual(['chainmail.yaml', 'out']);
  });

  it('leaves DIR unchanged when something is in the way of a file (exit 2)', async () => {
    expect((await run('build', 'chainmail.yaml', '--out', 'out')).code).toBe(0);
    edit(SMART_HOST, '[127.0.0.1]:2604');
    rmSync(join(work, 'out/gw/routes.json'));
    mkdirSync(join(work, 'out/gw/routes.json'));
    const before = readTree(join(work, 'out'));
    const r = await run('build', 'chainmail.yaml', '--out', 'out');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('routes.json is in the way');
    const after = readTree(join(work, 'out'));
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [p, b] of before) expect(after.get(p)?.equals(b), p).toBe(true);
  });

  it('replaces a file of the earlier build by a directory of this one', () => {
    const meta = { version: 'test', input: { file: 'x.yaml', sha256: '0', files: [] } };
    const out = join(work, 'direct');
    writeArtifacts(out, emit([{ path: 'sys/routes.json', content: '{}' }, { path: 'old', content: '{}' }], meta));
    const r = writeArtifacts(out, emit([{ path: 'sys/routes.json', content: '{}' }, { path: 'old/routes.json', content: '{"v":2}' }], meta));
    expect(r.removed).toEqual(['old']);
    expect([...readTree(out).keys()]).toEqual(['manifest.json', 'old/routes.json', 'sys/routes.json']);
  });

  it('creates DIR and its parents', async () => {
    const r = await run('build', 'chainmail.yaml', '--out', 'deep/er/out', '--target', 'routes');
    expect(r.code).toBe(0);
    expect(existsSync(join(work, 'deep/er/out/gw/routes.json'))).toBe(true);
    expect(readdirSync(dirname(join(work, 'deep/er/out')))).toEqual(['out']);
  });
});

describe('chainmail build --check', () => {
  it('passes on a fresh build, fails after a model change, passes after a rebuild', async () => {
    expect((await run('build', 'chainmail.yaml', '--out', 'out')).code).toBe(0);
    const ok = await run('build', 'chainmail.yaml', '--out', 'out', '--check');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/out is up to date/);
    edit(SMART_HOST, '[127.0.0.1]:2604');
    const stale = await run('build', 'chainmail.yaml', '--out', 'out', '--check');
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain('stale    gw/postfix/transport');
    expect(stale.stdout).toContain('stale    manifest.json');
    expect(stale.stderr).toContain('run chainmail build');
    expect((await run('build', 'chainmail.yaml', '--out', 'out')).code).toBe(0);
    expect((await run('build', 'chainmail.yaml', '--out', 'out', '--check')).code).toBe(0);
  });

  it('lists missing, stale and extra files, and writes nothing', async () => {
    expect((await run('build', 'chainmail.yaml', '--out', 'out')).code).toBe(0);
    rmSync(join(work, 'out/unix/postfix/virtual'));
    writeFileSync(join(work, 'out/gw/postfix/virtual'), 'edited by hand\n');
    const before = readTree(join(work, 'out'));
    const r = await run('build', 'chainmail.yaml', '--out', 'out', '--check', '--target', 'postfix,routes,exchange,ldif');
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual(
      expect.arrayContaining(['missing  unix/postfix/virtual', 'stale    gw/postfix/virtual', 'extra    contacts/contacts.csv']),
    );
    expect([...readTree(join(work, 'out')).keys()]).toEqual([...before.keys()]);
  });

  it('fails on an empty directory', async () => {
    const r = await run('build', 'chainmail.yaml', '--out', 'nothing-here', '--check');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('missing  manifest.json');
  });
});

describe('chainmail plan', () => {
  it('shows exactly the one changed transport line when a smart host changes', async () => {
    expect((await run('build', 'chainmail.yaml', '--out', 'out')).code).toBe(0);
    edit(SMART_HOST, '[127.0.0.1]:2604');
    const r = await run('plan', 'chainmail.yaml', '--out', 'out', '--detailed-exitcode');
    expect(r.code).toBe(3);
    const lines = r.stdout.split('\n');
    const start = lines.indexOf('--- a/gw/postfix/transport');
    expect(start).toBeGreaterThanOrEqual(0);
    const end = lines.findIndex((l, i) => i > start && l === '');
    const changed = lines.slice(start + 2, end).filter((l) => /^[-+]/.test(l));
    expect(changed).toEqual(['-partner.example relay:[127.0.0.1]:2603', '+partner.example relay:[127.0.0.1]:2604']);
    expect(r.stdout).toContain('~ gw/postfix/transport: changed, +1 -1');
    expect(r.stdout).toContain('~ unix/postfix/transport: header only (input sha256)');
    expect(r.stdout).not.toContain('manifest.json');
    expect(r.stdout).toMatch(/Plan: 0 to add, \d+ to change, 0 to remove, \d+ unchanged\./);
    // plan writes nothing
    expect(readFileSync(join(work, 'out/gw/postfix/transport'), 'utf8')).toContain('relay:[127.0.0.1]:2603');
  });

  it('exits 0 with --detailed-exitcode when there is nothing to change', async () => {
    expect((await run('build', 'chainmail.yaml', '--out', 'out')).code).toBe(0);
    const r = await run('plan', 'chainmail.yaml', '--out', 'out', '--detailed-exitcode');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No changes: \d+ files up to date\.\n$/);
  });

  it('shows new and removed files, as JSON and as Markdown', async () => {
    expect((await run('build', 'chainmail.yaml', '--out', 'out', '--target', 'postfix,csv')).code).toBe(0);
    const json = await run('plan', 'chainmail.yaml', '--out', 'out', '--target', 'postfix,routes', '--format', 'json');
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as { changes: { path: string; action: string; additions: number; deletions: number; diff: string }[]; summary: Record<string, number> };
    expect(plan.changes.find((c) => c.path === 'gw/routes.json')).toMatchObject({ action: 'add', deletions: 0 });
    expect(plan.changes.find((c) => c.path === 'contacts/contacts.csv')).toMatchObject({ action: 'remove', additions: 0 });
    expect(plan.summary).toMatchObject({ add: 3, change: 0, remove: 1 });
    const md = await run('plan', 'chainmail.yaml', '--out', 'out', '--target', 'postfix,routes', '--format', 'markdown');
    expect(md.stdout).toContain('- `gw/routes.json`: added, +');
    expect(md.stdout).toContain('```diff\n--- /dev/null\n+++ b/gw/routes.json');
  });

  it('exits 1 on lint errors and shows them', async () => {
    edit('to: exchange\n', 'to: exchagne\n');
    const r = await run('plan', 'chainmail.yaml', '--out', 'out', '--detailed-exitcode');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[unknown-reference]');
  });
});
