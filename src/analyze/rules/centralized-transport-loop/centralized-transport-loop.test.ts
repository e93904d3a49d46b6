import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'centralized-transport-loop';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

describe(RULE, () => {
  const run = (edit: (c: Cfg) => void) => cases.findings('valid/hybrid.yaml', edit);
  const cmt = (c: Cfg) => c.systems.m365.outboundConnectors.push({ name: 'All via on-premises', recipientDomains: ['*'], to: 'onprem', centralizedMailTransport: true });
  it.each<[string, (c: Cfg) => void, string]>([
    ['the on-premises server sends every domain back', (c) => {
      cmt(c);
      c.connectors.push({ name: 'Back', system: 'onprem', addressSpaces: ['*'], to: 'm365', allowRelay: true });
    }, 'Back'],
    ['the on-premises server sends internet mail back by its own submission connector', (c) => {
      cmt(c);
      c.connectors.push({ name: 'Internet', system: 'onprem', addressSpaces: ['internet.invalid'], to: 'm365', allowRelay: true });
    }, ''],
  ])('reports when %s', (_, edit, back) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['systems', 'm365', 'outboundConnectors', 1, 'centralizedMailTransport'] });
    expect(f[0]?.data).toEqual({ system: 'm365', connector: 'All via on-premises', back });
  });
  it.each<[string, (c: Cfg) => void]>([
    ['there is no centralized mail transport', (c) => c.connectors.push({ name: 'Back', system: 'onprem', addressSpaces: ['*'], to: 'm365', allowRelay: true })],
    ['on-premises sends internet mail out by MX', cmt],
  ])('is quiet when %s', (_, edit) => expect(run(edit)).toEqual([]));
});
