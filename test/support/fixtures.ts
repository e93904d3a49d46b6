import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { lint } from '../../src/analyze/lint.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { loadModel } from '../../src/pipeline.js';

export const repoRoot: string = new URL('../..', import.meta.url).pathname;

/** Lints a file (relative paths shown relative to the repo root). */
export function lintFile(file: string): { diagnostics: readonly Diagnostic[]; fatal?: string } {
  return lint(loadModel(file, { cwd: repoRoot }));
}

/**
 * Fixture files of one rule: `fixtures/valid/*.yaml` must produce no finding of the rule;
 * `fixtures/invalid/*.yaml` must produce exactly the findings listed in their header
 * comment lines `# expect: <rule-id> <line>:<column>` (one line per finding).
 */
export function ruleFixtures(ruleDir: string): { valid: string[]; invalid: string[] } {
  const list = (kind: string): string[] => {
    const dir = join(ruleDir, 'fixtures', kind);
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .sort()
        .map((f) => relative(repoRoot, join(dir, f)));
    } catch {
      return [];
    }
  };
  return { valid: list('valid'), invalid: list('invalid') };
}

/** The `# expect: rule line:col` lines of a fixture, as "rule line:col" strings. */
export function expectedFindings(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  return [...text.matchAll(/^# expect: ([a-z0-9-]+) (\d+):(\d+)\s*$/gm)].map((m) => `${m[1]} ${m[2]}:${m[3]}`);
}

/** "rule line:col" for every diagnostic of the given rule. */
export function actualFindings(diagnostics: readonly Diagnostic[], ruleId: string): string[] {
  return diagnostics.filter((d) => d.ruleId === ruleId).map((d) => `${d.ruleId} ${d.line}:${d.column}`);
}
