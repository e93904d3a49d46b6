import { describe, expect, it } from 'vitest';
import { actualFindings, expectedFindings, lintFile, ruleFixtures } from './fixtures.js';

/**
 * The standard table-driven fixture test of a rule: call it from `<rule-id>.test.ts` with
 * the rule's directory (`new URL('.', import.meta.url).pathname`).
 */
export function describeRuleFixtures(ruleId: string, ruleDir: string): void {
  const { valid, invalid } = ruleFixtures(ruleDir);
  describe(`${ruleId} fixtures`, () => {
    it('has at least one valid and one invalid fixture', () => {
      expect(valid.length).toBeGreaterThan(0);
      expect(invalid.length).toBeGreaterThan(0);
    });
    it.each(valid)(`%s produces no ${ruleId} finding`, (file) => {
      const r = lintFile(file);
      expect(r.fatal).toBeUndefined();
      expect(actualFindings(r.diagnostics, ruleId)).toEqual([]);
    });
    it.each(invalid)('%s produces exactly its expected findings', (file) => {
      const want = expectedFindings(file);
      expect(want.length, `${file} needs "# expect: ${ruleId} line:col" header lines`).toBeGreaterThan(0);
      const r = lintFile(file);
      expect(r.fatal).toBeUndefined();
      expect(actualFindings(r.diagnostics, ruleId)).toEqual(want);
    });
  });
}
