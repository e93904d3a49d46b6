import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'authority-conflict';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, (string | number)[][], Record<string, string>[]]>([
    ['two owners, no chain: the second claim is reported', 'invalid/two-owners.yaml', () => {}, [['policies', 1, 'addresses', 0]], [{ domain: 'example.com', system: 'unix', other: 'exchange' }]],
    ['the chain names the owner, not the file order', 'invalid/outside-the-chain.yaml', () => {}, [['policies', 4, 'addresses', 0]], [{ domain: 'example.com', system: 'legacy', other: 'unix' }]],
    [
      'three owners: two findings, IDN domain as A-label',
      'invalid/three-owners.yaml',
      () => {},
      [['policies', 1, 'addresses', 0], ['policies', 2, 'addresses', 0]],
      [{ domain: 'xn--r8jz45g.jp', system: 'b', other: 'a' }, { domain: 'xn--r8jz45g.jp', system: 'c', other: 'a' }],
    ],
    [
      'without the chain, the gateway claims first',
      'valid/one-owner.yaml',
      (c) => {
        c.policies[1].addresses[0].authoritative = true;
        delete c.chains;
      },
      [['policies', 2, 'addresses', 0]],
      [{ domain: 'example.com', system: 'unix', other: 'exchange' }],
    ],
    ['a policy of an unknown system claims nothing', 'valid/one-owner.yaml', (c) => c.policies.push({ name: 'X', system: 'unx', addresses: [{ space: '@example.com', authoritative: true }] }), [], []],
    ['a non-last chain member is shared-authoritative\'s', 'valid/left-to-shared-authoritative.yaml', () => {}, [], []],
    ['one system, two authoritative policies', 'valid/one-system-two-policies.yaml', () => {}, [], []],
  ])('%s', (_, fixture, edit, paths, data) => {
    const f = run(fixture, edit);
    expect(f.map((x) => x.ruleId)).toEqual(paths.map(() => RULE));
    expect(f.map((x) => x.at)).toEqual(paths.map((path) => ({ path })));
    expect(f.map((x) => x.data)).toEqual(data);
  });

  it('points related locations at the other claims and fixes only what a chain decides', () => {
    const [plain] = run('invalid/two-owners.yaml');
    expect(plain?.message).toBe('domain "example.com" has two authoritative systems: "exchange" and "unix"');
    expect(plain?.related).toEqual([{ message: '"exchange" is authoritative here (policy "Default Policy")', at: { path: ['policies', 0, 'addresses', 0] } }]);
    expect(plain?.fix).toBeUndefined();
    const [chained] = run('invalid/outside-the-chain.yaml');
    expect(chained?.related?.map((r) => r.at)).toEqual([{ path: ['policies', 3, 'addresses', 0] }]);
    expect(chained?.fix?.yaml).toBe('space: "@example.com"\nprimary: true\nauthoritative: false');
  });
});
