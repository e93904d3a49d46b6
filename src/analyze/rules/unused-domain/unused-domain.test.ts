import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'unused-domain';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete valid fixture after `edit`, with extra files beside it. */
function run(edit: (c: Cfg) => void, files: Record<string, string> = {}): Finding[] {
  return cases.findings('valid/complete.yaml', edit, files);
}

describe('unused-domain', () => {
  it('points at the key of a declared domain that nothing uses', () => {
    const f = run((c) => (c.domains['example.net'] = { description: 'the old Notes server' }));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ at: { path: ['domains', 'example.net'], key: true }, data: { domain: 'example.net' } });
  });

  it.each<[string, (c: Cfg) => void]>([
    ['a policy space', (c) => c.policies[3].addresses.push({ space: '@example.net', authoritative: true })],
    ['a connector address space', (c) => c.connectors[1].addressSpaces.push('example.net')],
    ['a chain', (c) => c.chains[0].domains.push('example.net')],
    ['a mailbox', (c) => c.systems.unix.mailboxes.push('erin@example.net')],
    ['a mailbox file', (c) => (c.systems.unix.mailboxFiles = ['users.txt'])],
    ['an alias', (c) => c.systems.exchange.mailboxes[1].aliases.push('bob@EXAMPLE.net')],
    ['a contact proxy address', (c) => c.contacts[0].proxyAddresses.push('smtp:iu@example.net')],
    ['a contact target address', (c) => (c.contacts[0].targetAddress = 'iu@example.net')],
  ])('counts %s as a use', (_, edit) => {
    const f = run(
      (c) => {
        c.domains['example.net'] = {};
        edit(c);
      },
      { 'users.txt': 'frank@example.net\n' },
    );
    expect(f).toEqual([]);
  });

  it.each<[string, (c: Cfg) => void]>([
    ['a route test', (c) => c.tests.push({ to: 'x@example.net', expect: { refused: 'exchange' } })],
    ['a system host', (c) => (c.systems.unix.host = 'unix.example.net')],
    ['a smart host', (c) => (c.connectors[1].smartHosts = ['mx.example.net'])],
  ])('does not count %s as a use', (_, edit) => {
    const f = run((c) => {
      c.domains['example.net'] = {};
      edit(c);
    });
    expect(f.map((x) => x.data?.['domain'])).toEqual(['example.net']);
  });

  it('matches uses by A-label and shows both forms', () => {
    const used = run((c) => {
      c.domains['xn--r8jz45g.jp'] = {};
      c.systems.unix.mailboxes.push('taro@例え.jp');
    });
    expect(used).toEqual([]);
    const [unused] = run((c) => (c.domains['例え.jp'] = {}));
    expect(unused?.message).toBe(
      'domain "例え.jp" (xn--r8jz45g.jp) is declared but nothing uses it: add the policy, connector or chain that uses it, or remove it',
    );
  });

  it('leaves invalid domain names to invalid-address', () => {
    expect(run((c) => (c.domains['exa mple.net'] = {}))).toEqual([]);
  });
});
