import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './cli-io.js';

const EXAMPLES = ['examples/method1/chainmail.yaml', 'examples/method2/chainmail.yaml', 'examples/forests/chainmail.yaml', 'examples/idn-chain/chainmail.yaml'];
const FAILING = 'test/fixtures/routing/failing-tests.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'chainmail-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('chainmail test', () => {
  it('passes every example and the routing fixtures that are meant to pass', async () => {
    const r = await run(['test', ...EXAMPLES, 'test/fixtures/routing/loop.yaml', 'test/fixtures/routing/method1-no-gateway-check.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).toMatch(/\n\d+ passed, 0 failed \(6 files\)\n$/);
  });

  it('prints PASS/FAIL without a terminal, the location of each failure, and exits 1', async () => {
    const r = await run(['test', FAILING]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        FAILING,
        '  PASS carol@example.com: delivered by "unix"',
        '  FAIL carol@example.com: expected delivered by "exchange", got delivered by "unix"',
        `       at ${FAILING}:60`,
        '  FAIL nobody@example.com: expected refused by "exchange" (5.7.1), got bounced by "unix" (5.1.1)',
        `       at ${FAILING}:62`,
        '  FAIL carol@example.com: unknown system "unixx" in from; did you mean "unix"?',
        `       at ${FAILING}:64`,
        '',
        '1 passed, 3 failed (1 file)',
        '',
      ].join('\n'),
    );
  });

  it('uses check marks on a terminal', async () => {
    const r = await run(['test', FAILING], { isTTY: true, env: { NO_COLOR: '1' } });
    expect(r.stdout).toContain('  \u2713 carol@example.com');
    expect(r.stdout).toContain('  \u2717 nobody@example.com');
  });

  it('prints the JSON shape', async () => {
    const r = await run(['test', FAILING, 'examples/method1/chainmail.yaml', '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { version: number; results: Record<string, unknown>[]; summary: unknown };
    expect(Object.keys(doc)).toEqual(['version', 'results', 'summary']);
    expect(doc.version).toBe(1);
    expect(doc.summary).toEqual({ passed: 6, failed: 3 });
    for (const res of doc.results) expect(Object.keys(res).sort()).toEqual(['expect', 'file', 'from', 'line', 'message', 'outcome', 'passed', 'to']);
    expect(doc.results[2]).toEqual({
      file: FAILING,
      line: 62,
      to: 'nobody@example.com',
      from: 'internet',
      expect: { refused: 'exchange', status: '5.7.1' },
      passed: false,
      outcome: { kind: 'bounced', system: 'unix', status: '5.1.1', code: 550 },
      message: 'nobody@example.com: expected refused by "exchange" (5.7.1), got bounced by "unix" (5.1.1)',
    });
    expect(doc.results[3]).toMatchObject({ from: 'unixx', passed: false, outcome: null });
  });

  it('says so for a file without tests', async () => {
    const file = join(tmp, 'no-tests.yaml');
    writeFileSync(file, 'version: 1\nsystems:\n  a: { kind: postfix, host: mx.example.com, gateway: true }\n');
    const r = await run(['test', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  (no tests)\n');
  });

  it('exits 1 when a file has errors that prevent routing', async () => {
    const file = join(tmp, 'broken.yaml');
    writeFileSync(file, 'version: 1\ntests: [\n');
    const r = await run(['test', file, 'examples/method1/chainmail.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('has errors that prevent routing');
    expect(r.stdout).toContain('5 passed, 0 failed (1 file)');
  });

  it.each([
    [['test'], /name at least one FILE/],
    [['test', 'examples/method1/chainmail.yaml', '--format', 'junit'], /unknown --format "junit"; use text or json/],
    [['test', 'no/such/file.yaml'], /^chainmail test: .*no\/such\/file\.yaml/],
  ])('%j exits 2 with one line', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('chainmail graph', () => {
  it('prints Mermaid by default and DOT on request', async () => {
    const m = await run(['graph', 'examples/method1/chainmail.yaml']);
    expect(m.code).toBe(0);
    expect(m.stdout.startsWith('flowchart LR\n')).toBe(true);
    const d = await run(['graph', 'examples/method1/chainmail.yaml', '--format', 'dot']);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain('digraph chainmail {');
  });

  it.each([
    [['graph'], /name the chainmail FILE/],
    [['graph', 'a.yaml', 'b.yaml'], /one FILE at a time/],
    [['graph', 'examples/method1/chainmail.yaml', '--format', 'png'], /unknown --format "png"; use mermaid or dot/],
    [['graph', 'no/such/file.yaml'], /^chainmail graph: .*no\/such\/file\.yaml/],
  ])('%j exits 2 with one line', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('lists route, test and graph in the help', async () => {
    const r = await run(['--help']);
    expect(r.stdout).toMatch(/route \(FILE \| --routes DIR\) ADDRESS\.\.\./);
    expect(r.stdout).toMatch(/test FILE\.\.\./);
    expect(r.stdout).toMatch(/graph FILE/);
  });
});
