import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'shared-authoritative';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['the gateway keeps the box checked', 'invalid/gateway-authoritative.yaml', () => {}, [{ path: ['policies', 1, 'addresses', 0], data: { system: 'exchange', domain: 'example.com', chain: 'example.com shared', policy: 'Shared example.com' } }]],
    [
      'every authoritative address of a middle system',
      'invalid/middle-of-three.yaml',
      () => {},
      [
        { path: ['policies', 1, 'addresses', 1], data: { system: 'exchange', domain: 'example.com', chain: 'three', policy: 'Default Policy' } },
        { path: ['policies', 2, 'addresses', 0], data: { system: 'exchange', domain: 'example.com', chain: 'three', policy: 'Shared' } },
      ],
    ],
    [
      'the first of a three-system chain',
      'invalid/middle-of-three.yaml',
      (c) => {
        c.policies[0].addresses[0].authoritative = true;
        c.policies[1].addresses.pop();
        c.policies[2].addresses[0].authoritative = false;
      },
      [{ path: ['policies', 0, 'addresses', 0], data: { system: 'gw', domain: 'example.com', chain: 'three', policy: 'Gateway' } }],
    ],
    ['reversing the chain makes unix the one to fix', 'valid/method1.yaml', (c) => (c.chains[0].order = ['unix', 'exchange']), [{ path: ['policies', 2, 'addresses', 0], data: { system: 'unix', domain: 'example.com', chain: 'example.com shared', policy: 'UNIX domains' } }]],
    ['the last system is the authoritative one', 'valid/method1.yaml', () => {}, []],
    ['a default policy primary is default-policy-shared\'s', 'valid/default-primary-left-to-default-policy-shared.yaml', () => {}, []],
    ['a chain with an unknown system is skipped', 'valid/chain-with-unknown-system.yaml', () => {}, []],
    ['a chain that names a system twice is skipped', 'invalid/gateway-authoritative.yaml', (c) => (c.chains[0].order = ['exchange', 'unix', 'exchange']), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it('fixes by unchecking the box and points at the last system of the chain', () => {
    const [f] = run('invalid/gateway-authoritative.yaml');
    expect(f?.fix?.yaml).toBe('space: "@example.com"\nprimary: true\nauthoritative: false');
    expect(f?.related?.map((r) => r.at)).toEqual([{ path: ['chains', 0, 'order', 1] }]);
  });
});
