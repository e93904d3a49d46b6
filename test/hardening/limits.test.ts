import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lint, type LintResult } from '../../src/analyze/lint.js';
import { LIMITS } from '../../src/load/load.js';
import { countObjects, nestingGuardOffset, surrogateEscapeOffset, valueProblem } from '../../src/load/shape.js';
import { loadModel } from '../../src/pipeline.js';
import { connectorCycle, longChain, longRewriteChain } from './support/graphs.js';

/**
 * Resource limits (docs/limits.md): every hostile input is answered with a finding or a
 * one-line error, quickly and in bounded memory, never a crash, a hang or a stack trace.
 * The pathological organisations are bounded in CPU time (not elapsed time, which a loaded
 * machine stretches) with generous bounds: they must be answered in seconds of CPU.
 */

const tmp = mkdtempSync(join(tmpdir(), 'chainmail-limits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/**
 * Writes files into a fresh directory and lints `chainmail.yaml` there. `ms` is the CPU time
 * this worker spent (user + system), not the elapsed time: other processes on a busy machine
 * do not count, so the bounds below hold with both cores taken by something else. They are
 * still generous (10-100x what an idle machine needs) and only catch work that grows without
 * limit (minutes, gigabytes) where a limit should have stopped it.
 */
function lintFiles(files: Record<string, string>): LintResult & { ms: number } {
  const dir = join(tmp, String(n++));
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const t = process.cpuUsage();
  const r = lint(loadModel(join(dir, 'chainmail.yaml'), { cwd: dir }));
  const used = process.cpuUsage(t);
  return { ...r, ms: (used.user + used.system) / 1000 };
}

const lintText = (text: string): LintResult & { ms: number } => lintFiles({ 'chainmail.yaml': text });
const syntax = (r: LintResult): string[] => r.diagnostics.filter((d) => d.ruleId === 'yaml-syntax').map((d) => d.message);
const NESTING = `YAML nested deeper than ${LIMITS.maxNestingDepth} levels (a chainmail file needs about 6): flatten it`;

describe('file size, includes and aliases', () => {
  it(`refuses a YAML file over ${LIMITS.maxYamlBytes} bytes without reading it`, () => {
    const r = lintText(`version: 1\n${'#'.repeat(LIMITS.maxYamlBytes)}\n`);
    expect(syntax(r)).toEqual([`file is ${LIMITS.maxYamlBytes + 12} bytes, over the limit of ${LIMITS.maxYamlBytes}: split it with include:`]);
    // CPU ms (lintFiles), generous; without the limit this takes minutes and gigabytes
    expect(r.ms).toBeLessThan(10_000);
  });

  it(`stops includes nested deeper than ${LIMITS.maxIncludeDepth}`, () => {
    const files: Record<string, string> = { 'chainmail.yaml': 'version: 1\ninclude: [i1.yaml]\n' };
    for (let i = 1; i <= LIMITS.maxIncludeDepth + 1; i++) files[`i${i}.yaml`] = `include: [i${i + 1}.yaml]\n`;
    files[`i${LIMITS.maxIncludeDepth + 2}.yaml`] = 'domains: { x.example: {} }\n';
    expect(lintFiles(files).fatal).toMatch(/includes are nested more than 8 deep; flatten them$/);
  });

  it(`stops more than ${LIMITS.maxIncludes} included files`, () => {
    const names = Array.from({ length: LIMITS.maxIncludes + 1 }, (_, i) => `i${i}.yaml`);
    const files: Record<string, string> = { 'chainmail.yaml': `version: 1\ninclude: [${names.join(', ')}]\n` };
    for (const f of names) files[f] = 'domains: {}\n';
    expect(lintFiles(files).fatal).toMatch(/more than 256 included files; merge some of them$/);
  });

  it('names an include cycle', () => {
    const r = lintFiles({ 'chainmail.yaml': 'version: 1\ninclude: [a.yaml]\n', 'a.yaml': 'include: [b.yaml]\n', 'b.yaml': 'include: [a.yaml]\n' });
    expect(r.fatal).toMatch(/include cycle .*a\.yaml -> .*b\.yaml -> .*a\.yaml; remove one of these includes$/);
  });

  it('stops a "billion laughs" alias bomb before it expands', () => {
    const lines = ['version: 1', 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]`);
    const r = lintText(`${lines.join('\n')}\n`);
    expect(syntax(r)[0]).toMatch(/^too many alias expansions \(over 50\)/);
    // CPU ms (lintFiles), generous; without the limit this takes minutes and gigabytes
    expect(r.ms).toBeLessThan(10_000);
  });
});

describe(`nesting depth (at most ${LIMITS.maxNestingDepth})`, () => {
  const flow = (k: number): string => `version: 1\nname: ${'['.repeat(k)}${']'.repeat(k)}\n`;

  it(`accepts ${LIMITS.maxNestingDepth} levels (the schema, not the loader, then says what is wrong)`, () => {
    // the top-level mapping is level 1
    const r = lintText(flow(LIMITS.maxNestingDepth - 1));
    expect(syntax(r)).toEqual([]);
    expect(r.diagnostics.map((d) => d.ruleId)).toEqual(['schema']);
  });

  it.each<[string, string, number]>([
    ['one level more, in flow style', flow(LIMITS.maxNestingDepth), 2],
    ['block sequences, one per line', `version: 1\nname:\n${Array.from({ length: 100 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')}x\n`, 0],
    ['block mappings, deeper than the parser can recurse', `version: 1\ndomains:\n${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} x\n`, 0],
    ['pretty-printed JSON', `{"version": 1, "name":\n${Array.from({ length: 80 }, (_, i) => `${' '.repeat(i)}[`).join('\n')}\n${']'.repeat(80)}}\n`, 0],
    ['compact block sequences on one line', `version: 1\nname: ${'- '.repeat(300)}x\n`, 2],
  ])('refuses %s with one clear finding', (_, text, line) => {
    const r = lintText(text);
    expect(syntax(r)).toEqual([NESTING]);
    if (line) expect(r.diagnostics[0]?.line).toBe(line);
  });

  it.each<[string, string]>([
    ['8 million "[" on one 16 MiB line', `version: 1\nname: ${'['.repeat(8_000_000)}${']'.repeat(8_000_000)}\n`],
    ['8 million "- " on one line', `version: 1\nname: ${'- '.repeat(8_000_000)}x\n`],
    ['8 million "{a: " on one line', `version: 1\nname: ${'{a: '.repeat(4_000_000)}\n`],
  ])('answers %s at once (well under a second on an idle machine), in bounded memory', (_, text) => {
    const before = process.memoryUsage().rss;
    const r = lintText(text);
    expect(syntax(r)).toEqual([NESTING]);
    // CPU ms (lintFiles), generous; the parsers alone would take minutes and gigabytes
    expect(r.ms).toBeLessThan(10_000);
    // the parsers never see it: no tree of millions of nodes (the file itself is 16 MB)
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('the guard knows quotes, comments and plain scalars: no false alarm', () => {
    const text = [
      'version: 1',
      `name: "${'['.repeat(500)}"`,
      `# ${'['.repeat(500)}`,
      `z${'['.repeat(500)}: {}`,
      `x: '${"[''".repeat(300)}'`,
      `y: p${'- '.repeat(500)}`,
      '',
    ].join('\n');
    expect(nestingGuardOffset(text, 256)).toBe(-1);
    expect(nestingGuardOffset(`a: ${'['.repeat(300)}`, 256)).toBe(3 + 256);
  });

  it('valueProblem walks without recursion and finds the first excess', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(valueProblem(deep, 64)).toEqual({ kind: 'depth' });
    expect(valueProblem({ a: [{ b: ['ok'] }] }, 4)).toBeUndefined();
    expect(valueProblem({ a: [{ b: ['ok'] }] }, 3)).toEqual({ kind: 'depth' });
  });
});

describe('strings that are no Unicode', () => {
  it.each([
    ['name: "a\\ud800b"', 'a\ud800b'],
    ['name: "\\udc00"', '\udc00'],
    ['name: "\\U0000D800"', '\ud800'],
    ['domains: { "x\\ud800.example": {} }', 'x\ud800.example'],
  ])('%s is a yaml-syntax finding that points at the escape', (line, value) => {
    const r = lintText(`version: 1\n${line}\n`);
    expect(syntax(r)).toEqual([`string ${JSON.stringify(value)} holds a lone surrogate (an escape such as "\\ud800" is half of a character): write the character itself`]);
    expect(r.diagnostics[0]).toMatchObject({ line: 2, column: line.indexOf('\\') + 1 });
  });

  it('a surrogate pair is one character and fine', () => {
    expect(syntax(lintText('version: 1\nname: "\\ud83d\\ude00 \\U0001F600"\n'))).toEqual([]);
    expect(surrogateEscapeOffset('"\\ud83d\\ude00"')).toBe(0);
  });
});

describe(`number of objects (at most ${LIMITS.maxObjects})`, () => {
  it('refuses a file with more objects before any rule runs', () => {
    const users = Array.from({ length: LIMITS.maxObjects }, (_, i) => `u${i}@x.example`).join('\n');
    const r = lintFiles({
      'chainmail.yaml': 'version: 1\ndomains: { x.example: {} }\nsystems:\n  pf: { kind: postfix, host: "[192.0.2.1]", mailboxFiles: [users.txt] }\n',
      'users.txt': `${users}\n`,
    });
    expect(syntax(r)).toEqual([
      `the file holds ${LIMITS.maxObjects + 2} objects (domains, systems, policies, connectors, chains, contacts, tests, mailboxes, aliases and mailbox-file addresses), over the limit of ${LIMITS.maxObjects} that one run checks: lint parts of the organisation separately`,
    ]);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.ms).toBeLessThan(30_000);
  }, 600_000);

  it('counts every kind of object', () => {
    const merged = {
      domains: { a: {}, b: {} },
      systems: { s: { mailboxes: ['x', { address: 'y', aliases: ['z', 'w'] }] } },
      policies: [{}],
      connectors: [{}, {}],
      chains: [{}],
      contacts: [{}],
      tests: [{}, {}],
    };
    // 2 domains + 1 system + 4 mailboxes and aliases + 1 + 2 + 1 + 1 + 2 + 5 mailbox-file lines
    expect(countObjects(merged, 5)).toBe(19);
  });
});

/** The peak resident set of this worker, in bytes (getrusage: ru_maxrss). */
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

describe('pathological organisations are answered in seconds', () => {
  // The route walk behind contact-target-loop, forwarding-loop and hop-limit
  // (src/analyze/route-walk.ts) has one state per system x recipient class x origin, and in
  // a chain every system's mailboxes are a class of their own: about 2 x 1,000 x 1,000 states
  // here, each a resolve() call. Measured: 300 systems 1 s, 1,000 systems 8 s on an idle
  // machine (30 s on a loaded one) and 1.3 GB; quadratic, reported to the rule owners.
  it.each([300, 1000])('a chain of %i systems sharing one domain', (n) => {
    const r = lintText(longChain(n));
    expect(r.fatal).toBeUndefined();
    expect(r.errors).toBe(0);
    expect(r.ms).toBeLessThan(60_000);
    expect(peakRss()).toBeLessThan(3 * 1024 * 1024 * 1024);
  }, 600_000);

  it('100,000 contacts forming one long rewrite chain', () => {
    const r = lintText(longRewriteChain(100_000));
    expect(r.fatal).toBeUndefined();
    const loop = r.diagnostics.filter((d) => d.ruleId === 'contact-target-loop');
    expect(loop.length).toBeGreaterThan(0);
    expect(r.ms).toBeLessThan(60_000);
    expect(peakRss()).toBeLessThan(3 * 1024 * 1024 * 1024);
  }, 600_000);

  it('1,000 connectors in a cycle', () => {
    const r = lintText(connectorCycle(1000));
    expect(r.diagnostics.filter((d) => d.ruleId === 'forwarding-loop')).toHaveLength(1);
    expect(r.ms).toBeLessThan(20_000);
  }, 600_000);
});
