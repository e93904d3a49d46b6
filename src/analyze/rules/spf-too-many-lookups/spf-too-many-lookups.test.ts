import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'spf-too-many-lookups';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);
const cases = ruleCases(RULE, import.meta.url);
const includes = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => `include:spf${i + from}.mailer.example.net`);

describe(RULE, () => {
  it.each<[string, (c: Cfg) => void, (string | number)[], Record<string, string>]>([
    ['eleven provider includes in the built record', (c) => (c.systems.exchange.sends.spf = includes(11)), ['domains', 'example.com'],
      { domain: 'example.com', count: '11', exact: 'false', published: 'false' }],
    ['lookups of two systems add up', (c) => {
      c.systems.exchange.sends.spf = includes(6);
      c.systems.unix.sends.spf = includes(5, 7);
    }, ['domains', 'example.com'], { domain: 'example.com', count: '11', exact: 'false', published: 'false' }],
    ['eleven a: in the published record (exact)', (c) => {
      c.domains['example.com'].published = { spf: `v=spf1 ${Array.from({ length: 11 }, (_, i) => `a:h${i}.example.com`).join(' ')} -all` };
    }, ['domains', 'example.com', 'published', 'spf'], { domain: 'example.com', count: '11', exact: 'true', published: 'true' }],
    ['an include of a domain of the file counts its own lookups', (c) => {
      c.domains['example.org'] = {};
      c.systems.unix.sends = { domains: ['example.org'], spf: includes(10) };
      c.systems.exchange.sends.spf = ['include:example.org'];
    }, ['domains', 'example.com'], { domain: 'example.com', count: '11', exact: 'false', published: 'false' }],
  ])('reports %s', (_, edit, path, data) => {
    expect(pathsAndData(cases.findings('valid/method1.yaml', edit))).toEqual([{ path, data }]);
  });

  it('offers flatten when a: mechanisms of systems without addresses cost the lookups', () => {
    const [f] = cases.findings('valid/method1.yaml', (c) => {
      delete c.systems.exchange.sends.ip;
      c.systems.unix.sends.spf = includes(10);
    });
    expect(f?.data?.count).toBe('11');
    expect(f?.fix?.yaml).toBe('spf: { flatten: true }');
  });

  it.each<[string, (c: Cfg) => void]>([
    ['ten lookups exactly', (c) => (c.systems.exchange.sends.spf = includes(10))],
    ['ip4 and ip6 cost nothing', (c) => (c.systems.exchange.sends.ip = Array.from({ length: 40 }, (_, i) => `198.51.100.${i}`))],
    ['the same include twice counts once', (c) => {
      c.systems.exchange.sends.spf = includes(10);
      c.systems.unix.sends.spf = includes(10);
    }],
  ])('is quiet with %s', (_, edit) => {
    expect(cases.findings('valid/method1.yaml', edit)).toEqual([]);
  });
});
