import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'remote-policy-filter';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['an LDAP filter', 'invalid/ldap-filter.yaml', () => {}, [{ path: ['policies', 1, 'filter'], data: { policy: 'Remote domains', system: 'exchange', domain: 'remote.domain', filter: '(mailnickname=*)' } }]],
    ['no filter key', 'invalid/no-filter.yaml', () => {}, [{ path: ['policies', 1, 'addresses', 0], data: { policy: 'Remote domains', system: 'exchange', domain: 'remote.domain' } }]],
    ['an empty filter is not the NULL filter', 'valid/method2.yaml', (c) => (c.policies[1].filter = ''), [{ path: ['policies', 1, 'filter'], data: { policy: 'Remote domains', system: 'exchange', domain: 'remote.domain', filter: '' } }]],
    ['filter: null', 'valid/method2.yaml', () => {}, []],
    ['no remote domain', 'valid/no-remote-domain.yaml', () => {}, []],
    ['a policy of an unknown system', 'invalid/ldap-filter.yaml', (c) => (c.policies[1].system = 'exch'), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it('fixes with the NULL filter, or a policy of its own when the policy holds other spaces', () => {
    expect(run('invalid/ldap-filter.yaml')[0]?.fix?.yaml).toBe('filter: null');
    const [mixed] = run('valid/method2.yaml', (c) => c.policies[0].addresses.push({ space: '@remote.domain', authoritative: false }));
    expect(mixed?.at).toEqual({ path: ['policies', 0, 'addresses', 1] });
    expect(mixed?.fix?.yaml).toBe('name: Remote domains of exchange\nsystem: exchange\nfilter: null\naddresses: [{space: "@remote.domain", authoritative: false}]');
  });
});
