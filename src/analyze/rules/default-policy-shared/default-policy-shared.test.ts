import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'default-policy-shared';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['the shared space is the default primary', 'invalid/shared-primary.yaml', () => {}, [{ path: ['policies', 0, 'addresses', 0], data: { policy: 'Default Policy', system: 'exchange', domain: 'example.com', chain: 'example.com shared' } }]],
    ['checked or not', 'invalid/shared-primary-checked.yaml', () => {}, [{ path: ['policies', 0, 'addresses', 0], data: { policy: 'Default Policy', system: 'exchange', domain: 'example.com', chain: 'example.com shared' } }]],
    ['the last system may keep it', 'valid/last-system-keeps-shared-primary.yaml', () => {}, []],
    ['a system outside the chain is not concerned', 'invalid/shared-primary.yaml', (c) => (c.chains[0].order = ['unix']), []],
    ['a secondary shared space is not the primary', 'invalid/shared-primary-checked.yaml', (c) => ((c.policies[0].addresses[0].primary = false), (c.policies[0].addresses[1].primary = true)), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it.each([
    ['invalid/shared-primary.yaml', 'addresses: [{space: "@example.local", primary: true, authoritative: true}]', /declare "example\.local" under domains:/],
    ['invalid/shared-primary-checked.yaml', 'addresses: [{space: "@corp.example.local", primary: true, authoritative: true}]', /^make "@corp\.example\.local" the authoritative primary space/],
  ])('%s: the fix is a private primary space (step 1 a-g)', (fixture, yaml, description) => {
    const [f] = run(fixture);
    expect(f?.fix?.yaml).toBe(yaml);
    expect(f?.fix?.description).toMatch(description);
  });
});
