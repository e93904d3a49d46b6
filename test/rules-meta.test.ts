import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lint } from '../src/analyze/lint.js';
import { rules } from '../src/analyze/registry.js';
import { docPath, type Rule } from '../src/analyze/rule.js';
import type { Diagnostic } from '../src/diagnostics/diagnostic.js';
import { loadModel } from '../src/pipeline.js';
import { lintFile, repoRoot, ruleFixtures } from './support/fixtures.js';

/**
 * "Trio or it fails" (ESLint's checkRuleFiles and check-rule-examples, Biome's
 * expect_diagnostic): every rule in the registry has its module, a test that runs its
 * fixtures, valid and invalid fixtures, and a docs page whose examples really do what they
 * say. It applies to every rule, present and future.
 *
 * The docs page format (docs/rules/<id>.md):
 * - the first line is `# <id>`; the text before the first `##` heading says
 *   `Default severity: **error**` (or `**warning**`), matching the registry;
 * - the headings below, in this order;
 * - under "Failing example" and "Passing example", a complete chainmail file in a fence whose
 *   info string is `yaml`. Other files the example needs (a mailbox file) are fences with
 *   `file=<name>` in the info string (```` ```text file=users.txt ````), written beside it;
 * - optionally, a ```` ```text ```` fence in "Failing example" with the expected output lines
 *   in the text format, `chainmail.yaml:<line>:<col>: <severity>: <message> [<id>]`: each
 *   such line must be exactly what lint prints for the example.
 */
const HEADINGS = ['## Why', '## Failing example', '## Passing example', '## How to fix', '## How to suppress'] as const;
const RULES_DIR = join(repoRoot, 'src/analyze/rules');
const OUTPUT_LINE = /^[\w./-]+:\d+:\d+: (?:error|warning): .+ \[[a-z0-9-]+\]$/;

const tmp = mkdtempSync(join(tmpdir(), 'chainmail-rules-meta-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Fence {
  readonly info: string;
  readonly body: string;
}

/** The sections of a markdown page by `## ` heading (headings inside fences do not count). */
function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] = [];
  out.set('', current);
  let inFence = false;
  for (const line of text.split('\n')) {
    if (/^(```|~~~)/.test(line)) inFence = !inFence;
    if (!inFence && line.startsWith('## ')) {
      current = [];
      out.set(line.trimEnd(), current);
      continue;
    }
    current.push(line);
  }
  return out;
}

function fences(lines: readonly string[]): Fence[] {
  const out: Fence[] = [];
  let open: { info: string; body: string[] } | undefined;
  for (const line of lines) {
    const m = /^```(.*)$/.exec(line);
    if (m && !open) open = { info: (m[1] ?? '').trim(), body: [] };
    else if (m && open) {
      out.push({ info: open.info, body: `${open.body.join('\n')}\n` });
      open = undefined;
    } else open?.body.push(line);
  }
  return out;
}

let examples = 0;

/** Writes an example section's files to a fresh directory and lints its chainmail file. */
function lintExample(lines: readonly string[]): { diagnostics: readonly Diagnostic[]; fatal?: string } {
  const all = fences(lines);
  const main = all.find((f) => /^yaml\b/.test(f.info) && !/\bfile=/.test(f.info));
  if (!main) throw new Error('no ```yaml fence with a complete chainmail file');
  const dir = join(tmp, String(examples++));
  mkdirSync(dir);
  for (const f of all) {
    const name = /\bfile=(\S+)/.exec(f.info)?.[1];
    if (name === undefined) continue;
    const target = normalize(join(dir, name));
    if (relative(dir, target).startsWith('..')) throw new Error(`file=${name} must stay beside the example`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.body);
  }
  writeFileSync(join(dir, 'chainmail.yaml'), main.body);
  return lint(loadModel(join(dir, 'chainmail.yaml'), { cwd: dir }));
}

function rendered(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.ruleId}]`;
}

/** House style for messages: a lower-case fragment, one line, no trailing period. */
function styleProblems(ds: readonly Diagnostic[]): string[] {
  return ds
    .filter((d) => /^[A-Z][a-z]/.test(d.message) || /\.$/.test(d.message) || d.message.includes('\n'))
    .map((d) => `${d.file}:${d.line}: ${JSON.stringify(d.message)}`);
}

describe('the rule registry', () => {
  it('holds unique kebab-case ids in sorted order', () => {
    // the list as written in registry.ts, which does not sort it: a rule added out of order fails here
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/);
  });

  it('registers every rule directory', () => {
    const dirs = readdirSync(RULES_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    const ids = new Set(rules.map((r) => r.id));
    expect(dirs.filter((d) => !ids.has(d)), 'rule directories missing from src/analyze/registry.ts').toEqual([]);
  });

  it('has no docs page for a rule that does not exist', () => {
    const ids = new Set(rules.map((r) => r.id));
    const pages = readdirSync(join(repoRoot, 'docs/rules')).filter((f) => f.endsWith('.md') && !/^(README|index)\.md$/i.test(f));
    expect(pages.filter((f) => !ids.has(f.slice(0, -3)))).toEqual([]);
  });
});

describe.each(rules.map((r) => [r.id, r] as [string, Rule]))('rule %s', (id, rule) => {
  const dir = join(RULES_DIR, id);
  const docFile = join(repoRoot, docPath(id));
  const doc = existsSync(docFile) ? readFileSync(docFile, 'utf8') : undefined;
  const parts = doc === undefined ? new Map<string, string[]>() : sections(doc);

  it('has a one-line description without a trailing period', () => {
    expect(rule.description.length).toBeGreaterThan(0);
    expect(rule.description).not.toMatch(/\n|\.$/);
  });

  it(`has src/analyze/rules/${id}/${id}.ts and a ${id}.test.ts that runs its fixtures`, () => {
    expect(existsSync(join(dir, `${id}.ts`)), `${id}.ts`).toBe(true);
    const test = join(dir, `${id}.test.ts`);
    expect(existsSync(test), `${id}.test.ts`).toBe(true);
    expect(readFileSync(test, 'utf8'), `${id}.test.ts must call describeRuleFixtures`).toContain('describeRuleFixtures(');
  });

  it('has at least one valid and one invalid fixture', () => {
    const { valid, invalid } = ruleFixtures(dir);
    expect(valid.length, `${id}/fixtures/valid/*.yaml`).toBeGreaterThan(0);
    expect(invalid.length, `${id}/fixtures/invalid/*.yaml`).toBeGreaterThan(0);
  });

  it(`has ${docPath(id)} with its title, severity and headings`, () => {
    expect(doc, `${docPath(id)} is missing`).toBeDefined();
    expect(doc?.split('\n')[0]).toBe(`# ${id}`);
    expect((parts.get('') ?? []).join('\n'), 'the intro must say the default severity').toContain(
      `Default severity: **${rule.defaultSeverity}**`,
    );
    const headings = [...parts.keys()].filter((h) => (HEADINGS as readonly string[]).includes(h));
    expect(headings, `headings ${HEADINGS.join(', ')} in this order`).toEqual([...HEADINGS]);
  });

  it('its failing example produces the finding, with the output it shows', () => {
    const lines = parts.get('## Failing example');
    expect(lines, 'no "## Failing example" section').toBeDefined();
    const r = lintExample(lines ?? []);
    expect(r.fatal).toBeUndefined();
    const mine = r.diagnostics.filter((d) => d.ruleId === id);
    expect(mine.length, `the failing example of ${id} produces no ${id} finding`).toBeGreaterThan(0);
    const shown = fences(lines ?? [])
      .filter((f) => /^text\b/.test(f.info))
      .flatMap((f) => f.body.split('\n'))
      .filter((l) => OUTPUT_LINE.test(l));
    const actual = r.diagnostics.map(rendered);
    expect(shown.filter((l) => !actual.includes(l)), `output lines of the page that lint does not print; it prints:\n${actual.join('\n')}`).toEqual([]);
  });

  it('its passing example does not', () => {
    const lines = parts.get('## Passing example');
    expect(lines, 'no "## Passing example" section').toBeDefined();
    const r = lintExample(lines ?? []);
    expect(r.fatal).toBeUndefined();
    expect(r.diagnostics.filter((d) => d.ruleId === id).map(rendered)).toEqual([]);
  });

  it('words its messages as lower-case fragments without a trailing period', () => {
    const ds = ruleFixtures(dir).invalid.flatMap((f) => lintFile(f).diagnostics.filter((d) => d.ruleId === id));
    expect(styleProblems(ds)).toEqual([]);
  });
});
