import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/fixtures.js';
import { fixture, isOneLineMessage, run } from './support.js';

/**
 * `build --report FORMAT:FILE` and `plan --out DIR --report FORMAT:FILE` (issue 19: lint and
 * build, or lint and plan, from one parse): the lint report of the command's own run, each
 * byte for byte what `lint FILE --format FORMAT` prints.
 */
const CLEAN = 'examples/method1/chainmail.yaml';
const INVALID = fixture('invalid.yaml');
const WARNINGS = fixture('warnings.yaml');
const FORMATS = ['text', 'json', 'sarif', 'github', 'gitlab', 'markdown', 'junit'];
const tmp = mkdtempSync(join(tmpdir(), 'chainmail-build-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir` with its bytes. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length + 1)] = readFileSync(join(e.parentPath, e.name), 'latin1');
  }
  return out;
}

describe('chainmail build --report FORMAT:FILE', () => {
  it.each([
    ['a clean file', CLEAN, 0],
    ['warnings', WARNINGS, 0],
    ['errors', INVALID, 1],
  ])('writes the lint report of the run as lint --format prints it, and builds as without it: %s', async (name, file, code) => {
    const dir = mkdtempSync(join(tmp, 'case-'));
    const reports = FORMATS.map((f) => ({ f, path: join(dir, `report.${f}`) }));
    const out = join(dir, 'deploy');
    const r = await run(['build', file, '--out', out, ...reports.flatMap(({ f, path }) => ['--report', `${f}:${path}`])]);
    expect(r.code, name).toBe(code);
    for (const { f, path } of reports) {
      const single = await run(['lint', file, '--format', f]);
      expect(readFileSync(path, 'utf8'), `${name}: ${f}`).toBe(single.stdout);
    }
    // the build itself is what it is without --report: output, messages, artifacts
    const plainOut = join(dir, 'plain');
    const plain = await run(['build', file, '--out', plainOut]);
    expect(r.stdout.replaceAll(out, '')).toBe(plain.stdout.replaceAll(plainOut, ''));
    expect(r.stderr).toBe(plain.stderr);
    if (code === 0) expect(tree(out)).toEqual(tree(plainOut));
    else expect(existsSync(out)).toBe(false);
    // nothing else in the directory (no temp files)
    expect(readdirSync(dir).sort()).toEqual([...reports.map(({ f }) => `report.${f}`), ...(code === 0 ? ['deploy', 'plain'] : [])].sort());
  });

  it('writes the report with --check too, and --check still answers', async () => {
    const dir = mkdtempSync(join(tmp, 'check-'));
    const out = join(dir, 'deploy');
    expect((await run(['build', CLEAN, '--out', out])).code).toBe(0);
    const r = await run(['build', CLEAN, '--out', out, '--check', '--report', `json:${join(dir, 'lint.json')}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/is up to date/);
    expect(readFileSync(join(dir, 'lint.json'), 'utf8')).toBe((await run(['lint', CLEAN, '--format', 'json'])).stdout);
  });

  it.each([
    ['an unknown format', ['--report', 'xml:out.xml'], /--report needs FORMAT:FILE .* not "xml:out.xml"/],
    ['a directory that does not exist', ['--report', 'json:no/such/out.json'], /"no\/such" is not a directory; create it first/],
    ['the file being built', ['--report', `text:${join(repoRoot, CLEAN)}`], /would overwrite a file being linted; name another file/],
    ['one file twice', ['--report', 'json:x.json', '--report', 'sarif:x.json'], /--report names "x.json" twice/],
    ['a file inside the output directory', ['--report', 'json:deploy/lint.json'], /--report json:deploy\/lint\.json is inside the output directory, which holds only what build writes; name a file outside it/],
    ['the output directory itself', ['--report', 'json:deploy'], /is inside the output directory/],
  ])('refuses %s before reading anything: exit 2, one line, nothing written', async (_name, extra, message) => {
    const dir = mkdtempSync(join(tmp, 'bad-'));
    const r = await run(['build', join(repoRoot, CLEAN), '--out', 'deploy', ...extra], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(isOneLineMessage(r.stderr)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never replaces a file the linted file reads (a mailbox file), for build and for lint', async () => {
    const dir = mkdtempSync(join(tmp, 'read-'));
    const main = readFileSync(join(repoRoot, WARNINGS), 'utf8').replace('mailboxes: [alice@example.com]', 'mailboxFiles: [users.txt]');
    writeFileSync(join(dir, 'mail.yaml'), main);
    writeFileSync(join(dir, 'users.txt'), 'alice@example.com\n');
    for (const command of [['build', 'mail.yaml', '--out', 'deploy'], ['lint', 'mail.yaml']]) {
      const r = await run([...command, '--report', 'json:lint.json', '--report', 'text:users.txt'], { cwd: dir });
      expect(r.code, command[0]).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^chainmail ${command[0]}: --report text:users\\.txt would overwrite a file the linted file reads; name another file\\n$`, 'm'));
      expect(readFileSync(join(dir, 'users.txt'), 'utf8')).toBe('alice@example.com\n');
      // no report at all, no build
      expect(readdirSync(dir).sort()).toEqual(['mail.yaml', 'users.txt']);
    }
  });

  it('writes no report for a file that cannot be read: exit 2', async () => {
    const dir = mkdtempSync(join(tmp, 'missing-'));
    const r = await run(['build', 'nope.yaml', '--out', 'deploy', '--report', 'json:lint.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('plan --out writes the same report, and plans as without it', async () => {
    const dir = mkdtempSync(join(tmp, 'plan-'));
    const out = join(dir, 'deploy');
    expect((await run(['build', CLEAN, '--out', out])).code).toBe(0);
    for (const args of [[], ['--base', CLEAN]]) {
      const r = await run(['plan', WARNINGS, '--out', out, ...args, '--report', `sarif:${join(dir, 'lint.sarif')}`, '--report', `text:${join(dir, 'lint.text')}`]);
      const plain = await run(['plan', WARNINGS, '--out', out, ...args]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toBe(plain.stdout);
      expect(r.stdout).toMatch(/Plan: /);
      for (const f of ['sarif', 'text']) expect(readFileSync(join(dir, `lint.${f}`), 'utf8'), f).toBe((await run(['lint', WARNINGS, '--format', f])).stdout);
    }
  });

  it('plan writes the report of a file with errors (exit 1, no plan), with --base too, even one without a model', async () => {
    const dir = mkdtempSync(join(tmp, 'plan-errors-'));
    // a YAML syntax error leaves no model: the route diff cannot run, the report is still written
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'version: 1\nsystems: [\n');
    for (const file of [INVALID, broken]) {
      const report = join(dir, 'lint.json');
      rmSync(report, { force: true });
      const r = await run(['plan', file, '--base', file, '--out', join(dir, 'deploy'), '--report', `json:${report}`]);
      expect(r.code, file).toBe(1);
      expect(r.stdout).toBe('');
      const lint = await run(['lint', file, '--format', 'json']);
      expect(lint.code).toBe(1);
      expect(readFileSync(report, 'utf8'), file).toBe(lint.stdout);
    }
  });

  it('plan --report needs --out (plan --base alone does not lint): exit 2, one line, nothing written', async () => {
    const dir = mkdtempSync(join(tmp, 'plan-base-'));
    const r = await run(['plan', join(repoRoot, CLEAN), '--base', join(repoRoot, CLEAN), '--report', 'json:lint.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--report needs --out DIR: plan lints FILE only when it builds it/);
    expect(isOneLineMessage(r.stderr)).toBe(true);
    // a bad --report is refused before the versions are loaded and compared
    const bad = await run(['plan', join(repoRoot, CLEAN), '--base', 'no-such-base.yaml', '--out', 'deploy', '--report', 'xml:lint.xml'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^chainmail plan: --report needs FORMAT:FILE .* not "xml:lint.xml"/);
    expect(isOneLineMessage(bad.stderr)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });
});
