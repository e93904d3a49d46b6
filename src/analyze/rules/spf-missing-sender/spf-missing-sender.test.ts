import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'spf-missing-sender';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);
const cases = ruleCases(RULE, import.meta.url);
const AT = ['domains', 'example.com', 'published', 'spf'];

/** Method 1 with this record published for example.com and optional edits. */
function published(record: string, edit: (c: Cfg) => void = () => {}) {
  return pathsAndData(
    cases.findings('valid/method1-published.yaml', (c) => {
      c.domains['example.com'].published = { spf: record };
      edit(c);
    }),
  );
}

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, Record<string, string>[]]>([
    ['the UNIX server is missing (method 1)', 'v=spf1 ip4:203.0.113.25 -all', () => {}, [{ domain: 'example.com', system: 'unix', missing: 'ip4:203.0.113.26' }]],
    ['both are missing', 'v=spf1 include:elsewhere.example.net -all', () => {}, [
      { domain: 'example.com', system: 'exchange', missing: 'ip4:203.0.113.25' },
      { domain: 'example.com', system: 'unix', missing: 'ip4:203.0.113.26' },
    ]],
    ['a fail term does not authorise', 'v=spf1 ip4:203.0.113.25 -ip4:203.0.113.26 -all', () => {}, [{ domain: 'example.com', system: 'unix', missing: 'ip4:203.0.113.26' }]],
    ['a network larger than the record\'s', 'v=spf1 ip4:203.0.113.0/25 -all', (c) => (c.systems.unix.sends.ip = ['203.0.113.0/24']),
      [{ domain: 'example.com', system: 'unix', missing: 'ip4:203.0.113.0/24' }]],
    ['a provider include is missing', 'v=spf1 ip4:203.0.113.0/24 -all', (c) => (c.systems.exchange.sends.spf = ['include:spf.protection.outlook.com']),
      [{ domain: 'example.com', system: 'exchange', missing: 'include:spf.protection.outlook.com' }]],
    ['a system without addresses is not named by its host', 'v=spf1 ip4:203.0.113.25 -all', (c) => delete c.systems.unix.sends.ip,
      [{ domain: 'example.com', system: 'unix', missing: 'ip4:192.168.1.10' }]],
  ])('reports %s', (_, record, edit, data) => {
    expect(published(record, edit)).toEqual(data.map((d) => ({ path: AT, data: d })));
  });

  it('offers the built record as the fix', () => {
    const [f] = cases.findings('valid/method1-published.yaml', (c) => (c.domains['example.com'].published = { spf: 'v=spf1 ip4:203.0.113.25 -all' }));
    expect(f?.fix?.yaml).toBe('spf: "v=spf1 ip4:203.0.113.25 ip4:203.0.113.26 -all"');
  });

  it.each<[string, string, (c: Cfg) => void]>([
    ['one network covers both', 'v=spf1 ip4:203.0.113.0/24 -all', () => {}],
    ['each address is listed (with +)', 'v=spf1 +ip4:203.0.113.25 ip4:203.0.113.26 -all', () => {}],
    ['IPv6 inside a /48', 'v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:1::/48 -all', (c) => (c.systems.unix.sends.ip = ['2001:db8:1:2::25'])],
    ['the provider include is there (any case)', 'v=spf1 ip4:203.0.113.0/24 INCLUDE:spf.protection.outlook.com -all', (c) => (c.systems.exchange.sends.spf = ['include:spf.protection.outlook.com'])],
    ['a system without addresses is named by a:host', 'v=spf1 ip4:203.0.113.25 a:unix.example.com -all', (c) => {
      c.systems.unix.host = 'unix.example.com';
      delete c.systems.unix.sends.ip;
    }],
    ['the gateway without addresses is covered by mx', 'v=spf1 mx ip4:203.0.113.26 -all', (c) => delete c.systems.exchange.sends.ip],
  ])('is quiet when %s', (_, record, edit) => {
    expect(published(record, edit)).toEqual([]);
  });

  it('is quiet without a published record (the build writes a complete one)', () => {
    expect(cases.findings('valid/method1-published.yaml', (c) => delete c.domains['example.com'].published)).toEqual([]);
  });
});
