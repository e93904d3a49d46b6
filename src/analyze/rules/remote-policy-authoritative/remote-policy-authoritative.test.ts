import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'remote-policy-authoritative';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['the remote policy has the box checked', 'invalid/remote-checked.yaml', () => {}, [{ path: ['policies', 1, 'addresses', 0], data: { policy: 'Remote domains', system: 'exchange', domain: 'remote.domain' } }]],
    ['an IDN remote space in the default policy', 'invalid/in-default-policy.yaml', () => {}, [{ path: ['policies', 0, 'addresses', 1], data: { policy: 'Default Policy', system: 'exchange', domain: 'xn--r8jz45g.jp' } }]],
    ['unchecked, as method 2 step 1 says', 'valid/method2.yaml', () => {}, []],
    ['a domain that is not remote', 'invalid/remote-checked.yaml', (c) => (c.domains['remote.domain'] = {}), []],
    ['a policy of an unknown system', 'invalid/remote-checked.yaml', (c) => (c.policies[1].system = 'exch'), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it('unchecks the box and points at the remote declaration', () => {
    const [f] = run('invalid/remote-checked.yaml');
    expect(f?.fix?.yaml).toBe('space: "@remote.domain"\nauthoritative: false');
    expect(f?.related?.map((r) => r.at)).toEqual([{ path: ['domains', 'remote.domain', 'remote'] }]);
  });
});
