import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, repoRoot, run, type JsonReport } from './support.js';

/** Deterministic pseudo-random bytes (a 32-bit LCG), so a failure can be reproduced. */
function noise(length: number, seed = 42): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** "Billion laughs": nine levels of nine aliases each, 9^9 strings once expanded. */
function aliasBomb(): string {
  const lines = ['version: 1', 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i <= 9; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'chainmail-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inputs: [name: string, file: string, content: () => string | Buffer, rule: string, at?: [number, number]][] = [
  ['an empty file', 'empty.yaml', () => '', 'schema', [1, 1]],
  ['a binary file (random bytes with a NUL)', 'binary.yaml', () => Buffer.concat([noise(4096), Buffer.from([0]), noise(512, 7)]), 'yaml-syntax'],
  // the position of the NUL is not asserted: load.ts reports it before the text is in the SourceStore
  ['NUL bytes in otherwise valid text', 'nul.yaml', () => 'version: 1\nname: a\u0000b\n', 'yaml-syntax'],
  ['invalid UTF-8', 'latin1.yaml', () => Buffer.from('version: 1\nname: caf\xe9 au lait\n', 'latin1'), 'yaml-syntax'],
  ['a YAML alias bomb (billion laughs)', 'bomb.yaml', aliasBomb, 'yaml-syntax'],
  ['a 20 MB file', 'huge.yaml', () => `version: 1\n${`# ${'x'.repeat(1021)}\n`.repeat(20 * 1024)}`, 'yaml-syntax', [1, 1]],
  ['an unterminated flow sequence', 'flow.yaml', () => 'version: 1\nsystems: [a, b\n', 'yaml-syntax'],
  ['a document that is a list', 'list.yaml', () => '- version: 1\n', 'schema'],
];

describe('bad input gets findings and exit 1, never a stack trace', () => {
  it.each(inputs)(
    '%s',
    async (_name, file, content, rule, at) => {
      writeFileSync(join(dir, file), content());
      const r = await run(['lint', '--format', 'json', file], { cwd: dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as JsonReport;
      expect(report.diagnostics.length).toBeGreaterThan(0);
      expect(report.diagnostics.every((d) => d.file === file)).toBe(true);
      expect(report.diagnostics[0]!.ruleId).toBe(rule);
      if (at) expect([report.diagnostics[0]!.line, report.diagnostics[0]!.column]).toEqual(at);
      // the text format draws a code frame from the same input without throwing
      const text = await run(['lint', file], { cwd: dir });
      expect(text.code).toBe(1);
      expect(text.stderr).toBe('');
      expect(text.stdout).toContain(`[${rule}]`);
    },
    10_000,
  );

  it('says what is wrong with the bytes', async () => {
    const messages = async (file: string): Promise<string[]> =>
      (JSON.parse((await run(['lint', '--format', 'json', file], { cwd: dir })).stdout) as JsonReport).diagnostics.map((d) => d.message);
    expect(await messages('latin1.yaml')).toEqual(['invalid UTF-8 at byte 20: save the file as UTF-8']);
    expect((await messages('bomb.yaml')).join()).toMatch(/alias/);
    expect((await messages('huge.yaml')).join()).toMatch(/over the limit/);
    expect((await messages('empty.yaml')).join()).toMatch(/empty/);
  });

  it.each([
    ['a tab used as indentation', fixture('tab-indent.yaml'), 4, 1],
    ['a duplicate key', fixture('duplicate-keys.yaml'), 6, 3],
  ])('%s is a yaml-syntax finding at its line', async (_name, file, line, column) => {
    const r = await run(['lint', '--format', 'json', file], { cwd: repoRoot });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const first = (JSON.parse(r.stdout) as JsonReport).diagnostics[0]!;
    expect([first.ruleId, first.line, first.column]).toEqual(['yaml-syntax', line, column]);
  });
});
