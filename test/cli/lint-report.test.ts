import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/fixtures.js';
import { fixture, isOneLineMessage, run } from './support.js';

/**
 * `lint --report FORMAT:FILE` (issue 19: the pull request's check lints once): every report
 * of the same run, each byte for byte what `--format FORMAT` prints, written atomically.
 */
const CLEAN = 'examples/method1/chainmail.yaml';
const INVALID = fixture('invalid.yaml');
const WARNINGS = fixture('warnings.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'chainmail-lint-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('chainmail lint --report FORMAT:FILE', () => {
  it.each([
    ['a clean file', [CLEAN], 0],
    ['errors', [INVALID], 1],
    ['errors and a clean file', [CLEAN, INVALID], 1],
    ['warnings with --quiet', [WARNINGS, '--quiet'], 0],
  ])('writes each report as --format prints it: %s', async (name, args, code) => {
    const dir = mkdtempSync(join(tmp, 'case-'));
    const reports = ['sarif', 'json', 'text', 'junit', 'gitlab', 'markdown'].map((f) => ({ f, path: join(dir, `report.${f}`) }));
    const r = await run(['lint', '--format', 'github', ...args, ...reports.flatMap(({ f, path }) => ['--report', `${f}:${path}`])]);
    expect(r.code, name).toBe(code);
    // stdout is what --format github alone prints, the exit code the same
    const alone = await run(['lint', '--format', 'github', ...args]);
    expect(r.stdout).toBe(alone.stdout);
    expect(r.code).toBe(alone.code);
    for (const { f, path } of reports) {
      const single = await run(['lint', '--format', f, ...args]);
      expect(readFileSync(path, 'utf8'), `${name}: ${f}`).toBe(single.stdout);
    }
    // nothing else left in the directory (no temp files)
    expect(readdirSync(dir).sort()).toEqual(reports.map(({ f }) => `report.${f}`).sort());
  });

  it('resolves FILE from the working directory and replaces a symbolic link instead of writing through it', async () => {
    const dir = mkdtempSync(join(tmp, 'link-'));
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me\n');
    symlinkSync(victim, join(dir, 'out.sarif'));
    // a link planted under the temp file's name is not followed either
    symlinkSync(victim, join(dir, `.out.json.${process.pid}.tmp`));
    const r = await run(['lint', join(repoRoot, CLEAN), '--report', 'sarif:out.sarif', '--report', 'json:out.json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
    expect(lstatSync(join(dir, 'out.sarif')).isSymbolicLink()).toBe(false);
    expect((JSON.parse(readFileSync(join(dir, 'out.sarif'), 'utf8')) as { version: string }).version).toBe('2.1.0');
    expect((JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { summary: unknown }).summary).toEqual({ errors: 0, warnings: 0 });
    expect(existsSync(join(dir, `.out.json.${process.pid}.tmp`))).toBe(false);
  });

  it.each([
    ['no colon', ['--report', 'sarif'], /--report needs FORMAT:FILE with FORMAT one of .*sarif.*, not "sarif"/],
    ['an unknown format', ['--report', 'xml:out.xml'], /--report needs FORMAT:FILE .* not "xml:out.xml"/],
    ['no file', ['--report', 'json:'], /--report needs FORMAT:FILE/],
    ['a directory that does not exist', ['--report', 'json:no/such/dir/out.json'], /--report json:no\/such\/dir\/out\.json: "no\/such\/dir" is not a directory; create it first/],
    ['the file being linted', ['--report', `json:${join(repoRoot, CLEAN)}`], /would overwrite a file being linted; name another file/],
    ['one file twice', ['--report', 'json:x.json', '--report', 'sarif:x.json'], /--report names "x.json" twice; one report per file/],
  ])('refuses %s before linting: exit 2, one line, nothing written', async (_name, extra, message) => {
    const dir = mkdtempSync(join(tmp, 'bad-'));
    const r = await run(['lint', join(repoRoot, CLEAN), ...extra], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(isOneLineMessage(r.stderr)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says which report it could not write: exit 2, one line', async () => {
    const dir = mkdtempSync(join(tmp, 'dir-'));
    // a directory where the report should go: rename(2) cannot replace it
    const target = join(dir, 'out.json');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'x');
    const r = await run(['lint', join(repoRoot, CLEAN), '--report', `json:${target}`], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chainmail lint: cannot write --report json:.*out\.json \(E[A-Z]+\); check the path\n$/);
    expect(readdirSync(dir)).toEqual(['out.json']);
  });
});
