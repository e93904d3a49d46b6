import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'split-delivery-loop';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

describe(RULE, () => {
  const run = (edit: (c: Cfg) => void) => cases.findings('valid/google-split.yaml', edit);
  const relay = (c: Cfg) => (c.policies[0].addresses[0].authoritative = false);
  it.each<[string, (c: Cfg) => void]>([
    ['a connector for the domain goes back to Google', (c) => {
      relay(c);
      c.connectors = [{ name: 'Back', system: 'legacy', addressSpaces: ['example.org'], to: 'google', allowRelay: true }];
    }],
    ['forwardUnresolvedTo goes back to Google', (c) => (c.systems.legacy.forwardUnresolvedTo = 'google')],
  ])('reports when %s', (_, edit) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['systems', 'google', 'splitDelivery'] });
    expect(f[0]?.data).toEqual({ system: 'google', domain: 'example.org', to: 'legacy', cycle: 'google -> legacy' });
  });
  it.each<[string, (c: Cfg) => void]>([
    ['the secondary server is authoritative', () => {}],
    ['there is no split delivery', (c) => delete c.systems.google.splitDelivery],
  ])('is quiet when %s', (_, edit) => expect(run(edit)).toEqual([]));
});
