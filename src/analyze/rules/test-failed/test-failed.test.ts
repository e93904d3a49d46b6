import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'test-failed';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete fixture with `tests` (and an optional edit). */
function run(tests: Cfg[], edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings('valid/complete.yaml', (c) => {
    c.tests = tests;
    edit(c);
  });
}

describe('test-failed', () => {
  it.each<[string, Cfg, string, string]>([
    ['another system', { to: 'carol@example.com', expect: { delivered: 'exchange' } }, 'delivered by "exchange"', 'delivered by "unix"'],
    ['another outcome', { to: 'nobody@example.com', expect: { refused: 'exchange' } }, 'refused by "exchange"', 'bounced by "unix" (5.1.1)'],
    ['another status', { to: 'someone@foreign.test', expect: { refused: 'exchange', status: '5.1.1' } }, 'refused by "exchange" (5.1.1)', 'refused by "exchange" (5.7.1)'],
    ['a loop that is none', { to: 'alice@example.com', expect: { looped: true } }, 'looped', 'delivered by "exchange"'],
    ['another external host', { to: 'internetuser@xo.one', expect: { external: '[10.1.1.2]' } }, 'external to "[10.1.1.2]"', 'external to "[10.1.1.1]:25"'],
    ['from a system', { to: 'someone@foreign.test', from: 'unix', expect: { refused: 'unix' } }, 'refused by "unix"', 'external to "foreign.test"'],
  ])('%s', (_, test, expected, actual) => {
    const f = run([{ to: 'alice@example.com', expect: { delivered: 'exchange' } }, test]);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['tests', 1, 'expect'], key: true });
    expect(f[0]?.data).toEqual({ to: test.to, from: test.from ?? 'internet', expected, actual });
  });

  it('says what was expected and what happened, with the route', () => {
    const [f] = run([{ to: 'carol@example.com', expect: { delivered: 'exchange' } }]);
    expect(f?.message).toBe('test "carol@example.com" fails: expected delivered by "exchange", got delivered by "unix" (route: exchange -> unix)');
  });

  it('sees a loop stopped by the hop limit', () => {
    const edit = (c: Cfg): void => {
      c.systems.unix.forwardUnresolvedTo = 'exchange';
      c.chains[0].rejectUnknownAtGateway = false;
    };
    expect(run([{ to: 'nobody@example.com', expect: { looped: true } }, { to: 'nobody@example.com', expect: { looped: true, status: '5.4.14' } }], edit)).toEqual([]);
    const [f] = run([{ to: 'nobody@example.com', expect: { bounced: 'unix' } }], edit);
    expect(f?.data?.['actual']).toBe('looped at "exchange" (5.4.14)');
  });

  it.each<[string, Cfg]>([
    ['a test from an unknown system', { to: 'alice@example.com', from: 'exchang', expect: { delivered: 'exchange' } }],
    ['a test that expects an unknown system', { to: 'alice@example.com', expect: { delivered: 'exchang' } }],
    ['a test that holds, with a default port', { to: 'internetuser@xo.one', expect: { external: '[10.1.1.1]:25' } }],
  ])('is quiet on %s (unknown-reference reports unknown systems)', (_, test) => {
    expect(run([test])).toEqual([]);
  });
});
