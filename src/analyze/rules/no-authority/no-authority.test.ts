import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'no-authority';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['accepted by one system, owned by none', 'invalid/nobody-owns.yaml', () => {}, [{ path: ['policies', 1, 'addresses', 0], data: { domain: 'example.org', systems: 'exchange' } }]],
    ['accepted by two systems: one finding at the first', 'invalid/two-systems-pass-on.yaml', () => {}, [{ path: ['policies', 0, 'addresses', 0], data: { domain: 'example.org', systems: 'a,b' } }]],
    ['declared remote', 'invalid/nobody-owns.yaml', (c) => (c.domains['example.org'] = { remote: true }), []],
    ['owned by another system', 'invalid/two-systems-pass-on.yaml', (c) => (c.policies[1].addresses[0].authoritative = true), []],
    ['a default policy primary is default-policy-not-authoritative\'s', 'invalid/nobody-owns.yaml', (c) => (c.policies[0].addresses[0].authoritative = false), [{ path: ['policies', 1, 'addresses', 0], data: { domain: 'example.org', systems: 'exchange' } }]],
    ['chained domains are chain-without-authority\'s', 'valid/chained-left-to-chain-without-authority.yaml', () => {}, []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it('suggests declaring the domain remote and relates the other accepting addresses', () => {
    const [f] = run('invalid/two-systems-pass-on.yaml');
    expect(f?.fix?.yaml).toBe('example.org:\n  remote: true');
    expect(f?.related?.map((r) => r.at)).toEqual([{ path: ['policies', 1, 'addresses', 0] }]);
  });
});
