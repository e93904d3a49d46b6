import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import { cpuClock } from '../../../../test/support/cpu-clock.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'duplicate-address';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete valid fixture after `edit`, with extra files beside it. */
function run(edit: (c: Cfg) => void, files: Record<string, string> = {}): Finding[] {
  return cases.findings('valid/complete.yaml', edit, files);
}

/** Adds a second contact with the given target and proxies. */
function contact(c: Cfg, targetAddress: string, proxyAddresses: string[] = []): void {
  c.contacts.push({ cn: 'Second User', mailNickname: 'second', targetAddress, proxyAddresses });
}

describe('duplicate-address', () => {
  it.each<[string, (c: Cfg) => void, string, string]>([
    ['two mailboxes on two systems', (c) => c.systems.unix.mailboxes.push('ALICE@example.com'), 'mailbox', 'mailbox'],
    ['a mailbox and an alias', (c) => c.systems.unix.mailboxes.push('robert@example.com'), 'alias', 'mailbox'],
    ['an alias of one mailbox and another', (c) => c.systems.exchange.mailboxes.push({ address: 'rob@example.com', aliases: ['robert@example.com'] }), 'alias', 'alias'],
    ['a mailbox and a contact proxy', (c) => c.contacts[0].proxyAddresses.push('carol@example.com'), 'mailbox', 'contact-proxy'],
    ['two contacts proxies', (c) => contact(c, 'second@remote.domain', ['smtp:InternetUser@xo.one']), 'contact-proxy', 'contact-proxy'],
    ['two contacts targets', (c) => contact(c, 'INTERNETUSER@remote.domain'), 'contact-target', 'contact-target'],
    ['a target and another contact proxy', (c) => contact(c, 'second@remote.domain', ['internetUser@remote.domain']), 'contact-target', 'contact-proxy'],
    ['an alias of the mailbox itself', (c) => c.systems.exchange.mailboxes[1].aliases.push('Bob@example.com'), 'mailbox', 'alias'],
  ])('%s', (_, edit, first, second) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.data).toMatchObject({ first, second });
    expect(f[0]?.related).toHaveLength(1);
  });

  it('names both owners and points related at the first occurrence', () => {
    const [f] = run((c) => c.systems.unix.mailboxes.push('robert@EXAMPLE.com'));
    expect(f).toMatchObject({
      message:
        'address "robert@EXAMPLE.com" is both an alias of mailbox "bob@example.com" on system "exchange" and a mailbox of system "unix": keep it on one object',
      at: { path: ['systems', 'unix', 'mailboxes', 2] },
      related: [{ at: { path: ['systems', 'exchange', 'mailboxes', 1, 'aliases', 0] } }],
      data: { address: 'robert@example.com' },
    });
  });

  it.each<[string, (c: Cfg) => void]>([
    ['a contact repeating its own target as SMTP:', (c) => c.contacts[0].proxyAddresses.push('SMTP:internetUser@remote.domain')],
    ['a contact whose target is a mailbox of the file', (c) => c.systems.unix.mailboxes.push('internetuser@remote.domain')],
    ['another local part of the same domain', (c) => c.systems.unix.mailboxes.push('carol2@example.com')],
    ['invalid addresses (invalid-address reports them)', (c) => c.systems.unix.mailboxes.push('bad address', 'bad address')],
  ])('accepts %s', (_, edit) => {
    expect(run(edit)).toEqual([]);
  });

  it('compares A-labels', () => {
    const f = run((c) => {
      c.domains['例え.jp'] = {};
      c.systems.unix.mailboxes.push('taro@例え.jp', 'taro@XN--R8JZ45G.jp');
    });
    expect(f.map((x) => x.data?.['address'])).toEqual(['taro@xn--r8jz45g.jp']);
  });

  it('finds the duplicates among 100,000 mailbox file lines in linear time', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `user${i}@example.com`);
    lines.push('user99999@example.com', 'USER5@example.com');
    const cpu = cpuClock();
    const f = run((c) => (c.systems.unix.mailboxFiles = ['users.txt']), { 'users.txt': `${lines.join('\n')}\n` });
    const ms = cpu();
    expect(f.map((x) => x.data?.['address'])).toEqual(['user99999@example.com', 'user5@example.com']);
    expect(f[1]?.message).toBe('address "USER5@example.com" is listed twice as a mailbox of system "unix": remove one');
    expect(ms).toBeLessThan(15_000);
  });
});
