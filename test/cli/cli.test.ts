import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/cli/version.js';
import { fixture, isOneLineMessage, run, type JsonReport } from './support.js';

const CLEAN = 'examples/method1/chainmail.yaml';
const WARNINGS = fixture('warnings.yaml'); // 2 warnings, no errors
const INVALID = fixture('invalid.yaml'); // 3 errors, 1 warning
const ONE_WARNING = 'src/analyze/rules/message-size-shrinks/fixtures/invalid/smaller-later.yaml'; // 1 warning

/** Spec section 6: 0 success (warnings alone never fail), 1 errors, 2 usage or unreadable input. */
describe('chainmail lint exit codes', () => {
  it.each([
    ['a clean file', [CLEAN], 0],
    ['warnings only', [WARNINGS], 0],
    ['errors', [INVALID], 1],
    ['errors in one of several files', [CLEAN, INVALID], 1],
    ['--max-warnings 2 with 2 warnings', [WARNINGS, '--max-warnings', '2'], 0],
    ['--max-warnings 1 with 2 warnings', [WARNINGS, '--max-warnings', '1'], 1],
    ['--max-warnings=0 with 2 warnings', ['--max-warnings=0', WARNINGS], 1],
    ['--max-warnings 0 on a clean file', [CLEAN, '--max-warnings', '0'], 0],
    ['--quiet with warnings only', ['--quiet', WARNINGS], 0],
    ['--quiet with errors', ['--quiet', INVALID], 1],
  ])('%s -> %i', async (_name, args, code) => {
    const r = await run(['lint', ...args]);
    expect(r.code).toBe(code);
  });

  it('--max-warnings says why it failed, on stderr', async () => {
    const r = await run(['lint', WARNINGS, '--max-warnings', '1']);
    expect(r.stderr).toBe('chainmail lint: 2 warnings, more than --max-warnings 1\n');
  });

  it('--quiet hides warnings and reports errors', async () => {
    const loud = JSON.parse((await run(['lint', '--format', 'json', INVALID])).stdout) as JsonReport;
    const quiet = JSON.parse((await run(['lint', '--format', 'json', '--quiet', INVALID])).stdout) as JsonReport;
    expect(loud.summary.warnings).toBeGreaterThan(0);
    expect(quiet.summary).toEqual({ errors: loud.summary.errors, warnings: 0 });
    expect(quiet.diagnostics).toEqual(loud.diagnostics.filter((d) => d.severity === 'error'));
    const text = await run(['lint', '--quiet', WARNINGS]);
    expect(text.stdout).not.toMatch(/warning: /);
  });

  it('--quiet says that warnings were hidden instead of "no problems"', async () => {
    expect((await run(['lint', '--quiet', WARNINGS])).stdout).toBe('\u2714 1 file checked, no errors (2 warnings hidden by --quiet)\n');
    expect((await run(['lint', '--quiet', '--format', 'markdown', WARNINGS])).stdout).toBe(
      ':white_check_mark: **chainmail lint**: 1 file checked, no errors (2 warnings hidden by --quiet)\n',
    );
    expect((await run(['lint', '--quiet', INVALID])).stdout).toMatch(/\u2716 3 problems \(3 errors, 0 warnings\) \(1 warning hidden by --quiet\)\n$/);
    expect((await run(['lint', '--quiet', CLEAN])).stdout).toBe('\u2714 1 file checked, no problems\n');
  });

  it('--max-warnings counts in the singular for one warning', async () => {
    const r = await run(['lint', ONE_WARNING, '--max-warnings', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('chainmail lint: 1 warning, more than --max-warnings 0\n');
  });

  it('lints every FILE given and reports them together', async () => {
    const r = await run(['lint', '--format', 'json', INVALID, fixture('duplicate-keys.yaml')]);
    const files = new Set((JSON.parse(r.stdout) as JsonReport).diagnostics.map((d) => d.file));
    expect([...files]).toEqual([INVALID, fixture('duplicate-keys.yaml')]);
  });
});

describe('usage errors and unreadable files exit 2 with a one-line message', () => {
  it.each([
    ['an unknown command', ['lnt', CLEAN], /unknown command "lnt"/],
    ['an unknown option', ['lint', '--bogus', CLEAN], /--bogus/],
    ['an unknown format', ['lint', '--format', 'xml', CLEAN], /unknown --format "xml"; use one of github, (gitlab, )?json, junit, markdown, sarif, text/],
    ['a format without its value', ['lint', CLEAN, '--format'], /--format/],
    ['no FILE', ['lint'], /name at least one FILE/],
    ['a --max-warnings that is not a number', ['lint', CLEAN, '--max-warnings', 'many'], /--max-warnings needs a whole number, not "many"/],
    ['a missing file', ['lint', 'test/cli/fixtures/nope.yaml'], /test\/cli\/fixtures\/nope\.yaml: no such file/],
    ['a directory', ['lint', 'test/cli/fixtures'], /test\/cli\/fixtures: is a directory/],
    ['a missing include', ['lint', fixture('include-missing.yaml')], /include-missing\.yaml: cannot include "does-not-exist\.yaml": no such file/],
    ['an include cycle', ['lint', fixture('include-cycle-a.yaml')], /include cycle .*include-cycle-a\.yaml -> .*include-cycle-b\.yaml -> .*include-cycle-a\.yaml/],
    ['schema with an argument option', ['schema', '--bogus'], /--bogus/],
  ])('%s', async (_name, argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(isOneLineMessage(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).not.toMatch(/internal error|Error:|\bat .*:\d+:\d+\)/);
    expect(r.stdout).toBe('');
  });

  it('no command prints the usage on stderr and exits 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage: chainmail <command>/);
    expect(r.stdout).toBe('');
  });

  it('an unreadable file among readable ones still reports the readable ones, and exits 2', async () => {
    const r = await run(['lint', '--format', 'json', INVALID, 'test/cli/fixtures/nope.yaml']);
    expect(r.code).toBe(2);
    expect(isOneLineMessage(r.stderr)).toBe(true);
    expect((JSON.parse(r.stdout) as JsonReport).summary.errors).toBeGreaterThan(0);
  });
});

describe('other commands and flags', () => {
  it('schema prints the JSON Schema of the file format', async () => {
    const r = await run(['schema']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const schema = JSON.parse(readFileSync('schemas/chainmail.schema.json', 'utf8')) as unknown;
    expect(JSON.parse(r.stdout)).toEqual(schema);
    expect(r.stdout.endsWith('}\n')).toBe(true);
  });

  it.each([['--version'], ['-v']])('%s prints the version', async (flag) => {
    const r = await run([flag]);
    expect(r).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    expect(VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  it.each([[['--help']], [['lint', '--help']], [['schema', '--help']]])('%j prints help on stdout and exits 0', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: chainmail/);
    expect(r.stderr).toBe('');
  });
});

describe('colour', () => {
  const ANSI = /\u001b\[/;
  it.each([
    ['a TTY', true, {}, true],
    ['a pipe', false, {}, false],
    ['a TTY with NO_COLOR=1', true, { NO_COLOR: '1' }, false],
    ['a TTY with an empty NO_COLOR (unset)', true, { NO_COLOR: '' }, true],
    ['a pipe with FORCE_COLOR=1', false, { FORCE_COLOR: '1' }, true],
    ['a pipe with FORCE_COLOR=0', false, { FORCE_COLOR: '0' }, false],
    ['a TTY with NO_COLOR and FORCE_COLOR (NO_COLOR wins)', true, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
  ])('text on %s has colour: %s', async (_name, isTTY, env, coloured) => {
    const r = await run(['lint', INVALID], { isTTY, env });
    expect(ANSI.test(r.stdout)).toBe(coloured);
    // the same words either way
    const plain = await run(['lint', INVALID]);
    expect(r.stdout.replace(/\u001b\[\d+m/g, '')).toBe(plain.stdout);
  });

  it.each([['json'], ['sarif'], ['github'], ['markdown'], ['junit']])('--format %s never has colour, even forced on a TTY', async (format) => {
    const r = await run(['lint', '--format', format, INVALID], { isTTY: true, env: { FORCE_COLOR: '1' } });
    expect(r.stdout).not.toMatch(ANSI);
  });
});
