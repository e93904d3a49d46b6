import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'unresolved-forwarding';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    [
      'the gateway and the last system',
      'invalid/gateway-catch-all.yaml',
      () => {},
      [
        { path: ['systems', 'exchange', 'forwardUnresolvedTo'], data: { system: 'exchange', chain: 'example.com shared', target: 'unix' } },
        { path: ['systems', 'unix', 'forwardUnresolvedTo'], data: { system: 'unix', chain: 'example.com shared', target: 'mail.example.com' } },
      ],
    ],
    ['null is what step 3 asks for', 'valid/method1.yaml', (c) => (c.systems.exchange.forwardUnresolvedTo = null), []],
    ['a system in no chain', 'valid/outside-any-chain.yaml', () => {}, []],
    ['a chain with an unknown other system still counts', 'valid/method1.yaml', (c) => ((c.systems.unix.forwardUnresolvedTo = '[10.0.0.1]'), (c.chains[0].order = ['exchange2', 'unix'])), [{ path: ['systems', 'unix', 'forwardUnresolvedTo'], data: { system: 'unix', chain: 'example.com shared', target: '[10.0.0.1]' } }]],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it('points at the key, says why for the last system, and clears it', () => {
    const f = run('invalid/gateway-catch-all.yaml');
    expect(f[0]?.at).toEqual({ path: ['systems', 'exchange', 'forwardUnresolvedTo'], key: true });
    expect(f[1]?.message).toMatch(/as the last system it must bounce unknown recipients/);
    expect(f.map((x) => x.fix?.yaml)).toEqual(['forwardUnresolvedTo: null', 'forwardUnresolvedTo: null']);
  });
});
