import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import { cpuClock } from '../../../../test/support/cpu-clock.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'undeclared-domain';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete valid fixture after `edit`, with extra files beside it. */
function run(edit: (c: Cfg) => void, files: Record<string, string> = {}): Finding[] {
  return cases.findings('valid/complete.yaml', edit, files);
}

describe('undeclared-domain', () => {
  it.each<[string, (c: Cfg) => void, (string | number)[], string]>([
    ['policy space', (c) => c.policies[3].addresses.push({ space: '@example.org', authoritative: true }), ['policies', 3, 'addresses', 1, 'space'], 'policy'],
    ['connector address space', (c) => (c.connectors[0].addressSpaces = ['example.com', 'example.org']), ['connectors', 0, 'addressSpaces', 1], 'connector'],
    ['chain domain', (c) => c.chains[0].domains.push('example.org'), ['chains', 0, 'domains', 1], 'chain'],
    ['mailbox', (c) => c.systems.unix.mailboxes.push('erin@example.org'), ['systems', 'unix', 'mailboxes', 2], 'mailbox'],
    ['alias', (c) => c.systems.exchange.mailboxes[1].aliases.push('bob@example.org'), ['systems', 'exchange', 'mailboxes', 1, 'aliases', 2], 'alias'],
    ['contact proxy', (c) => c.contacts[0].proxyAddresses.push('iu@example.org'), ['contacts', 0, 'proxyAddresses', 1], 'contact-proxy'],
    ['contact target', (c) => (c.contacts[0].targetAddress = 'iu@example.org'), ['contacts', 0, 'targetAddress'], 'contact-target'],
    ['routing domain', (c) => (c.systems.unix.routingDomain = 'example.org'), ['systems', 'unix', 'routingDomain'], 'routing-domain'],
  ])('%s', (_, edit, path, kind) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path });
    expect(f[0]?.data).toEqual({ domain: 'example.org', kind, uses: '1' });
    expect(f[0]?.fix?.yaml).toBe('domains:\n  example.org: {}');
  });

  it('reports once per kind of use, at the first use, with the count of the others', () => {
    const f = run((c) => {
      c.systems.unix.mailboxes.push('erin@example.org', 'Frank@EXAMPLE.org', 'grace@example.org.');
      c.policies[3].addresses.push({ space: '@example.org', authoritative: true });
    });
    expect(f.map((x) => [x.data?.['kind'], x.data?.['uses']])).toEqual([
      ['policy', '1'],
      ['mailbox', '3'],
    ]);
    expect(f[1]?.message).toBe(
      'domain "example.org" is not declared under domains: used by "erin@example.org" (mailbox of system "unix") (and 2 more mailboxes)',
    );
  });

  it('is one finding for 100,000 mailboxes of an undeclared domain, in linear time', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `user${i}@bulk.example`).join('\n');
    const cpu = cpuClock();
    const f = run((c) => (c.systems.unix.mailboxFiles = ['users.txt']), { 'users.txt': `${lines}\n` });
    const ms = cpu();
    expect(f).toHaveLength(1);
    expect(f[0]?.data).toEqual({ domain: 'bulk.example', kind: 'mailbox', uses: '100000' });
    expect(f[0]?.message).toContain('(and 99,999 more mailboxes)');
    expect(f[0]?.at).toMatchObject({ span: { start: 0, end: 'user0@bulk.example'.length } });
    // loading and every rule over 100,000 addresses; generous for a shared 2-core machine
    expect(ms).toBeLessThan(15_000);
  });

  it('compares A-labels: a domain declared in Unicode covers its A-label spelling', () => {
    const f = run((c) => {
      c.domains['例え.jp'] = {};
      c.systems.unix.mailboxes.push('taro@xn--r8jz45g.jp', 'hanako@例え.jp');
      c.policies[3].addresses.push({ space: '@XN--R8JZ45G.JP', authoritative: true });
    });
    expect(f).toEqual([]);
  });

  it('shows both forms of an undeclared IDN', () => {
    const [f] = run((c) => c.systems.unix.mailboxes.push('taro@例え.jp'));
    expect(f?.message).toMatch(/^domain "例え\.jp" \(xn--r8jz45g\.jp\) is not declared/);
    expect(f?.fix?.yaml).toBe('domains:\n  例え.jp: {}');
  });

  it('leaves invalid names to invalid-address and "*" alone', () => {
    const f = run((c) => {
      c.systems.unix.mailboxes.push('erin@exa_mple.org');
      c.chains[0].domains.push('*.example.com');
      c.connectors.push({ name: 'Internet', system: 'exchange', addressSpaces: ['*'], smartHosts: ['smtp.provider.example'] });
    });
    expect(f).toEqual([]);
  });

  it('skips a domain that is declared but failed the schema', () => {
    const f = run((c) => (c.domains['example.com'] = { remote: 'yes' }));
    expect(f).toEqual([]);
  });
});
