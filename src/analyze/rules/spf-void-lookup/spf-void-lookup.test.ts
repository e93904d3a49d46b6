import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'spf-void-lookup';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);
const cases = ruleCases(RULE, import.meta.url);

describe(RULE, () => {
  it.each<[string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['a system reached at an internal name, without sends.ip', (c) => {
      c.systems.unix.host = 'unix.corp.local';
      delete c.systems.unix.sends.ip;
    }, [{ path: ['systems', 'unix', 'host'], data: { domain: 'example.com', term: 'a:unix.corp.local', target: 'unix.corp.local', count: '1', published: 'false' } }]],
    ['a provider mechanism under .internal', (c) => (c.systems.exchange.sends.spf = ['exists:%{i}.spf.corp.internal']),
      [{ path: ['systems', 'exchange', 'sends'], data: { domain: 'example.com', term: 'exists:%{i}.spf.corp.internal', target: '%{i}.spf.corp.internal', count: '1', published: 'false' } }]],
    ['three in the published record, each reported', (c) => (c.domains['example.com'].published = { spf: 'v=spf1 a:a.invalid mx:b.test include:c.localhost ip4:203.0.113.0/24 -all' }),
      ['a:a.invalid', 'mx:b.test', 'include:c.localhost'].map((term) => ({
        path: ['domains', 'example.com', 'published', 'spf'],
        data: { domain: 'example.com', term, target: term.slice(term.indexOf(':') + 1), count: '3', published: 'true' },
      }))],
    ['a redirect to a home.arpa name', (c) => (c.domains['example.com'].published = { spf: 'v=spf1 redirect=_spf.home.arpa' }),
      [{ path: ['domains', 'example.com', 'published', 'spf'], data: { domain: 'example.com', term: 'redirect=_spf.home.arpa', target: '_spf.home.arpa', count: '1', published: 'true' } }]],
  ])('reports %s', (_, edit, want) => {
    expect(pathsAndData(cases.findings('valid/method1.yaml', edit))).toEqual(want);
  });

  it.each<[string, (c: Cfg) => void]>([
    ['public host names', (c) => {
      c.systems.unix.host = 'unix.example.com';
      delete c.systems.unix.sends.ip;
    }],
    ['a name that merely contains "local"', (c) => (c.systems.exchange.sends.spf = ['include:local.example.net', 'a:mail.localhost-provider.example.com'])],
    ['ip4 of a private address (no lookup at all)', (c) => (c.systems.exchange.sends.ip = ['192.168.1.1'])],
  ])('is quiet with %s', (_, edit) => {
    expect(cases.findings('valid/method1.yaml', edit)).toEqual([]);
  });
});
