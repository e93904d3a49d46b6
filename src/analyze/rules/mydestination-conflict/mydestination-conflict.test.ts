import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'mydestination-conflict';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);
const run = (edit: (c: Cfg) => void): Finding[] => cases.findings('valid/own-hostname.yaml', edit);
const setMydestination = (list: string[]) => (c: Cfg) => (c.systems.unix.mydestination = list);

describe('mydestination-conflict', () => {
  it('reports the entry, with why the domain is the organisation\'s', () => {
    const f = cases.findings('invalid/shared-domain.yaml');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ at: { path: ['systems', 'unix', 'mydestination', 1] }, data: { system: 'unix', domain: 'example.com' } });
    expect(f[0]?.message).toBe(
      'system "unix" lists "example.com" in mydestination, but policy "Shared example.com" of system "exchange" accepts it: Postfix would deliver it to local UNIX accounts on this host and refuse its other recipients (550 5.1.1 "User unknown in local recipient table"); remove it from mydestination',
    );
  });

  it.each<[string, string[], string]>([
    ['the private default space', ['example.local'], 'policy "Default Policy" of system "exchange" accepts it'],
    ['a differently written form of an accepted domain', ['EXAMPLE.com'], 'policy "Shared example.com" of system "exchange" accepts it'],
    ['a connector\'s domain', ['partner.example'], 'connector "To partner" routes it'],
  ])('reports %s', (_, list, role) => {
    const f = run((c) => {
      setMydestination(list)(c);
      c.connectors.push({ name: 'To partner', system: 'exchange', addressSpaces: ['partner.example'], smartHosts: ['[192.0.2.9]'] });
    });
    expect(f).toHaveLength(1);
    expect(f[0]?.message).toContain(role);
  });

  it('is quiet for host names and $parameters', () => {
    expect(run(setMydestination(['$myhostname', 'localhost.$mydomain', 'localhost', 'mail.example.org']))).toEqual([]);
  });
});
