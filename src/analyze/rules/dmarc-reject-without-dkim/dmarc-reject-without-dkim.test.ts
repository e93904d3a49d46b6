import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'dmarc-reject-without-dkim';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);
const cases = ruleCases(RULE, import.meta.url);

describe(RULE, () => {
  it.each<[string, (c: Cfg) => void, string[]]>([
    ['the UNIX server does not sign (method 1)', (c) => delete c.systems.unix.sends.dkim, ['unix']],
    ['neither signs', (c) => {
      delete c.systems.unix.sends.dkim;
      c.systems.exchange.sends.dkim = [];
    }, ['exchange', 'unix']],
    ['the published record says p=reject', (c) => {
      delete c.domains['example.com'].dmarc;
      c.domains['example.com'].published = { dmarc: 'v=DMARC1; P=Reject; rua=mailto:x@example.com' };
      delete c.systems.unix.sends.dkim;
    }, ['unix']],
  ])('reports %s', (_, edit, systems) => {
    expect(pathsAndData(cases.findings('valid/method1.yaml', edit))).toEqual(
      systems.map((system) => ({ path: ['systems', system, 'sends'], data: { domain: 'example.com', system } })),
    );
  });

  it('relates the finding to the policy', () => {
    const [f] = cases.findings('valid/method1.yaml', (c) => delete c.systems.unix.sends.dkim);
    expect(f?.related?.[0]?.at).toEqual({ path: ['domains', 'example.com', 'dmarc', 'policy'] });
  });

  it.each<[string, (c: Cfg) => void]>([
    ['every sender signs', () => {}],
    ['the policy is quarantine', (c) => {
      c.domains['example.com'].dmarc.policy = 'quarantine';
      delete c.systems.unix.sends.dkim;
    }],
    ['the wanted policy (none) wins over the published one', (c) => {
      c.domains['example.com'].dmarc = { policy: 'none' };
      c.domains['example.com'].published = { dmarc: 'v=DMARC1; p=reject' };
      delete c.systems.unix.sends.dkim;
    }],
    ['no DMARC at all', (c) => {
      delete c.domains['example.com'].dmarc;
      delete c.systems.unix.sends.dkim;
    }],
  ])('is quiet when %s', (_, edit) => {
    expect(cases.findings('valid/method1.yaml', edit)).toEqual([]);
  });
});
