import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'forwarding-without-srs';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);
const cases = ruleCases(RULE, import.meta.url);
const REJECT = { dmarc: 'v=DMARC1; p=reject' };
const CONTACTS = 'contact "Internet User" to internetUser@remote.domain; contact "Doe, John" to John.Doe@remote.domain; contact "山田 太郎" to taro.yamada@remote.domain';

describe(RULE, () => {
  it.each<[string, (c: Cfg) => void, Record<string, string>]>([
    ['method 2: the contacts and the connector forward to remote.domain (p=reject)', (c) => (c.domains['remote.domain'].published = REJECT),
      { system: 'exchange', domains: 'remote.domain', via: `${CONTACTS}; connector "To remote.domain" for remote.domain` }],
    ['xo.one wants quarantine and Exchange does not send as it', (c) => delete c.systems.exchange.sends,
      { system: 'exchange', domains: 'xo.one', via: `${CONTACTS}; connector "To remote.domain" for remote.domain` }],
    ['a relay: the connector alone', (c) => {
      c.domains['remote.domain'].published = REJECT;
      delete c.contacts;
    }, { system: 'exchange', domains: 'remote.domain', via: 'connector "To remote.domain" for remote.domain' }],
  ])('reports %s', (_, edit, data) => {
    expect(pathsAndData(cases.findings('valid/method2.yaml', edit))).toEqual([{ path: ['systems', 'exchange'], data }]);
  });

  it('offers srs: true and relates the forwarding objects and the policy', () => {
    const [f] = cases.findings('valid/method2.yaml', (c) => (c.domains['remote.domain'].published = REJECT));
    expect(f?.fix?.yaml).toBe('srs: true');
    expect(f?.related?.map((r) => r.at)).toEqual([
      { path: ['contacts', 0, 'targetAddress'] },
      { path: ['contacts', 1, 'targetAddress'] },
      { path: ['contacts', 2, 'targetAddress'] },
      { path: ['connectors', 0] },
      { path: ['domains', 'remote.domain', 'published', 'dmarc'] },
    ]);
  });

  it.each<[string, (c: Cfg) => void]>([
    ['method 2 as it is: Exchange sends as xo.one, the only strict domain', () => {}],
    ['the forwarder rewrites the sender', (c) => {
      c.domains['remote.domain'].published = REJECT;
      c.systems.exchange.srs = true;
    }],
    ['the policy is none', (c) => (c.domains['remote.domain'].published = { dmarc: 'v=DMARC1; p=none' })],
    ['nothing leaves the organisation', (c) => {
      c.domains['remote.domain'].published = REJECT;
      delete c.contacts;
      delete c.connectors;
      c.policies.pop();
    }],
  ])('is quiet when %s', (_, edit) => {
    expect(cases.findings('valid/method2.yaml', edit)).toEqual([]);
  });
});
