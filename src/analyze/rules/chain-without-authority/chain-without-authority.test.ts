import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'chain-without-authority';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['the last system has the box unchecked', 'invalid/last-not-authoritative.yaml', () => {}, [{ path: ['policies', 2, 'addresses', 0], data: { chain: 'example.com shared', system: 'unix', domain: 'example.com', accepted: 'internal-relay' } }]],
    ['the last system does not accept the domain', 'invalid/last-does-not-accept.yaml', () => {}, [{ path: ['chains', 0, 'order', 1], data: { chain: 'example.com shared', system: 'unix', domain: 'example.com', accepted: 'no' } }]],
    [
      'one finding per chain domain',
      'valid/method1.yaml',
      (c) => {
        c.domains['example.net'] = {};
        c.chains[0].domains.push('example.net');
        c.policies[1].addresses.push({ space: '@example.net', authoritative: false });
      },
      [{ path: ['chains', 0, 'order', 1], data: { chain: 'example.com shared', system: 'unix', domain: 'example.net', accepted: 'no' } }],
    ],
    ['a remote domain is not asked for authority', 'invalid/last-does-not-accept.yaml', (c) => (c.domains['example.com'] = { remote: true }), []],
    ['authority from another policy of the last system', 'valid/authority-from-second-policy.yaml', () => {}, []],
    ['a chain with an unknown system is skipped', 'invalid/last-does-not-accept.yaml', (c) => (c.chains[0].order = ['exchange', 'unx']), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it.each([
    ['invalid/last-not-authoritative.yaml', 'space: "@example.com"\nprimary: true\nauthoritative: true'],
    ['invalid/last-does-not-accept.yaml', 'name: example.com on unix\nsystem: unix\naddresses: [{space: "@example.com", primary: true, authoritative: true}]'],
  ])('%s: the fix makes the last system authoritative', (fixture, yaml) => {
    expect(run(fixture)[0]?.fix?.yaml).toBe(yaml);
  });
});
