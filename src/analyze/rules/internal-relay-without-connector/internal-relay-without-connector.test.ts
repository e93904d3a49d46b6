import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'internal-relay-without-connector';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

describe(RULE, () => {
  const run = (edit: (c: Cfg) => void) => cases.findings('valid/hybrid.yaml', edit);
  it.each<[string, (c: Cfg) => void, Record<string, string>]>([
    ['InternalRelay, no connector, MX at the tenant itself', (c) => {
      c.systems.m365.acceptedDomains['contoso.com'] = 'InternalRelay';
      delete c.systems.m365.outboundConnectors;
    }, { system: 'm365', domain: 'contoso.com', type: 'InternalRelay', mx: 'm365' }],
    ['ExternalRelay, the connector is for another domain', (c) => {
      c.systems.m365.acceptedDomains['contoso.com'] = 'ExternalRelay';
      c.systems.m365.outboundConnectors[0].recipientDomains = ['fabrikam.example'];
    }, { system: 'm365', domain: 'contoso.com', type: 'ExternalRelay', mx: 'm365' }],
  ])('reports %s', (_, edit, data) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['systems', 'm365', 'acceptedDomains', 'contoso.com'] });
    expect(f[0]?.data).toEqual(data);
  });
  it.each<[string, (c: Cfg) => void]>([
    ['the domain is Authoritative', (c) => delete c.systems.m365.outboundConnectors],
    ['a connector for "*" carries it', (c) => {
      c.systems.m365.acceptedDomains['contoso.com'] = 'InternalRelay';
      c.systems.m365.outboundConnectors[0].recipientDomains = ['*'];
    }],
  ])('is quiet when %s', (_, edit) => expect(run(edit)).toEqual([]));
});
