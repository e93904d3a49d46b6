import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import { lint } from '../../lint.js';
import { loadModel } from '../../../pipeline.js';

const RULE = 'yaml-syntax';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const tmp = mkdtempSync(join(tmpdir(), `chainmail-${RULE}-`));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;

/** Loads YAML text as a file; the load stage reports yaml-syntax, so no model is expected. */
function load(text: string): ReturnType<typeof loadModel> {
  const file = join(tmp, `${runs++}.yaml`);
  writeFileSync(file, text);
  return loadModel(file, { cwd: tmp });
}

describe('yaml-syntax', () => {
  it.each([
    ['a duplicate key', 'version: 1\ndomains:\n  example.com: {}\n  example.com: {}\n', /keep one of them$/],
    ['a tab in the indentation', 'version: 1\ndomains:\n  \texample.com: {}\n', /^tabs are not allowed as indentation/],
    ['an unclosed flow list', 'version: 1\nchains:\n  - name: x\n    order: [a, b\n', /end with a \]/],
    ['an alias bomb', `version: 1\nx: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n${Array.from({ length: 6 }, (_, i) => `y${i}: &b${i} [${Array(10).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]`).join('\n')}\n`, /^too many alias expansions/],
  ])('reports %s and builds no model', (_, text, message) => {
    const loaded = load(text);
    expect(loaded.model).toBeUndefined();
    const found = loaded.findings.filter((f) => f.ruleId === RULE);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]?.message).toMatch(message);
  });

  it('cannot be suppressed: a comment cannot fix a file that does not parse', () => {
    const r = lint(load('version: 1\n# chainmail-disable-next-line yaml-syntax\ndomains: { a.example: {}, a.example: {} }\n'));
    expect(r.diagnostics.map((d) => d.ruleId)).toEqual([RULE]);
  });
});
