import type { Rule } from './rule.js';
import { schema } from './rules/schema/schema.js';
import { yamlSyntax } from './rules/yaml-syntax/yaml-syntax.js';

/**
 * Every rule, in id order. Explicit on purpose: no file-system discovery. A meta-test
 * (test/rules-meta.test.ts) fails when a rule lacks its docs page, tests or fixtures.
 */
export const rules: readonly Rule[] = [
  schema,
  yamlSyntax,
].sort((a, b) => (a.id < b.id ? -1 : 1));

/** Rules by id. */
export const ruleById: ReadonlyMap<string, Rule> = new Map(rules.map((r) => [r.id, r]));
