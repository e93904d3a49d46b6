import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'dbeb-off-backscatter';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

describe(RULE, () => {
  const run = (edit: (c: Cfg) => void) => cases.findings('valid/hybrid.yaml', edit);
  const internalRelay = (c: Cfg) => (c.systems.m365.acceptedDomains['contoso.com'] = 'InternalRelay');
  it.each<[string, (c: Cfg) => void]>([
    ['the next hop passes unknown recipients on', internalRelay],
    ['the next hop takes any address (it does not list its recipients)', (c) => {
      internalRelay(c);
      c.systems.m365.outboundConnectors[0].to = 'unix';
      delete c.systems.unix.mailboxes;
    }],
  ])('reports when %s', (_, edit) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['systems', 'm365', 'acceptedDomains', 'contoso.com'] });
    expect(f[0]?.data?.domain).toBe('contoso.com');
  });
  it.each<[string, (c: Cfg) => void]>([
    ['the domain is Authoritative (DBEB on)', () => {}],
    ['the next hop rejects unknown recipients at RCPT', (c) => {
      internalRelay(c);
      c.systems.m365.outboundConnectors[0].to = 'unix';
    }],
    ['the tenant is not the MX', (c) => {
      internalRelay(c);
      c.systems.m365.gateway = false;
      c.systems.onprem.gateway = true;
    }],
  ])('is quiet when %s', (_, edit) => expect(run(edit)).toEqual([]));
});
