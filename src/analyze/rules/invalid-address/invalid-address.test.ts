import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'invalid-address';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete valid fixture after `edit`, with extra files beside it. */
function run(edit: (c: Cfg) => void, files: Record<string, string> = {}): Finding[] {
  return cases.findings('valid/complete.yaml', edit, files);
}

describe('invalid-address', () => {
  it.each<[string, (c: Cfg) => void, (string | number)[], Record<string, string>]>([
    ['mailbox', (c) => (c.systems.exchange.mailboxes[0] = 'alice smith@example.com'), ['systems', 'exchange', 'mailboxes', 0], { kind: 'address', role: 'mailbox' }],
    ['mailbox object address', (c) => (c.systems.exchange.mailboxes[1].address = 'bob@'), ['systems', 'exchange', 'mailboxes', 1, 'address'], { kind: 'address', role: 'mailbox' }],
    ['alias', (c) => (c.systems.exchange.mailboxes[1].aliases[0] = 'robert'), ['systems', 'exchange', 'mailboxes', 1, 'aliases', 0], { kind: 'address', role: 'alias' }],
    ['contact target', (c) => (c.contacts[0].targetAddress = '.iu@remote.domain'), ['contacts', 0, 'targetAddress'], { kind: 'address', role: 'contact-target' }],
    ['contact proxy', (c) => (c.contacts[0].proxyAddresses = ['X400:c=US;a= ;p=xo;o=one;s=user']), ['contacts', 0, 'proxyAddresses', 0], { kind: 'address', role: 'contact-proxy' }],
    ['test recipient', (c) => (c.tests[0].to = 'alice'), ['tests', 0, 'to'], { kind: 'address', role: 'test' }],
    ['domain key', (c) => (c.domains['exa mple.org'] = {}), ['domains', 'exa mple.org'], { kind: 'domain' }],
    ['policy space', (c) => (c.policies[0].addresses[1].space = '@xo..one'), ['policies', 0, 'addresses', 1, 'space'], { kind: 'space' }],
    ['connector address space', (c) => (c.connectors[1].addressSpaces = ['remote.domain', '-bad.example']), ['connectors', 1, 'addressSpaces', 1], { kind: 'domain' }],
    ['chain domain', (c) => (c.chains[0].domains = ['example.com', '10.0.0.1']), ['chains', 0, 'domains', 1], { kind: 'domain' }],
    ['system host', (c) => (c.systems.unix.host = '[192.168.1.10'), ['systems', 'unix', 'host'], { kind: 'host' }],
    ['smart host', (c) => (c.connectors[1].smartHosts = ['[10.1.1.1]:0']), ['connectors', 1, 'smartHosts', 0], { kind: 'host' }],
    ['forwardUnresolvedTo host', (c) => (c.systems.unix.forwardUnresolvedTo = 'mail_hub.example.com'), ['systems', 'unix', 'forwardUnresolvedTo'], { kind: 'host' }],
    ['expected external host', (c) => (c.tests[2].expect.external = '[10.1.1.1'), ['tests', 2, 'expect', 'external'], { kind: 'host' }],
  ])('%s', (_, edit, path, data) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual(path[0] === 'domains' ? { path, key: true } : { path });
    expect(f[0]?.data).toMatchObject(data);
    expect(f[0]?.data?.['error']).toBeTruthy();
  });

  it('points into a mailbox file', () => {
    const f = run((c) => (c.systems.unix.mailboxFiles = ['users.txt']), { 'users.txt': '# users\nerin@example.com\n  <frank@example.com>  # quoted from a header\n' });
    expect(f).toHaveLength(1);
    const at = f[0]?.at;
    expect(at && 'span' in at ? at.span : undefined).toMatchObject({ file: expect.stringMatching(/users\.txt$/), start: 27, end: 46 });
    expect(f[0]?.message).toBe(
      'address "<frank@example.com>" (mailbox of system "unix") has a character not allowed in a local part (quote it, or remove spaces and specials): remove the angle brackets; a correct address looks like "bob@example.com"',
    );
  });

  it('says what is wrong and what a correct value looks like', () => {
    const [f] = run((c) => (c.connectors[1].addressSpaces = ['@remote.domain']));
    expect(f?.message).toBe('address space "@remote.domain" of connector "To remote.domain" contains a space, "@" or a bracket: write it without "@": "remote.domain"');
    expect(f?.fix).toEqual({ description: 'remove the "@" from "@remote.domain"', yaml: 'addressSpaces: [remote.domain]' });
  });

  it('reports a domain declared twice in two spellings, with the first as related', () => {
    const f = run((c) => {
      c.domains['例え.jp'] = {};
      c.domains['XN--R8JZ45G.JP'] = {};
      c.domains['Example.COM.'] = {};
    });
    expect(f.map((x) => [x.at, x.data?.['kind'], x.data?.['first'], x.related?.[0]?.at])).toEqual([
      [{ path: ['domains', 'Example.COM.'], key: true }, 'duplicate-domain', 'example.com', { path: ['domains', 'example.com'], key: true }],
      [{ path: ['domains', 'XN--R8JZ45G.JP'], key: true }, 'duplicate-domain', '例え.jp', { path: ['domains', '例え.jp'], key: true }],
    ]);
  });

  it.each([
    '太郎@例え.jp',
    '"john doe"@example.com',
    'carol+lists@example.com',
    "o'brien@example.com",
    'jan.de.vries@example.com.',
    'ÄLPLER@bücher.example',
  ])('accepts %s', (address) => {
    const f = run((c) => {
      c.domains['例え.jp'] = {};
      c.domains['bücher.example'] = {};
      c.systems.unix.mailboxes.push(address);
    });
    expect(f).toEqual([]);
  });

  it.each(['[10.1.1.1]:2525', 'mx.remote.domain', '[IPv6:2001:db8::25]', '[mx.remote.domain]', '10.1.1.1', 'mx.remote.domain:587'])('accepts smart host %s', (h) => {
    expect(run((c) => (c.connectors[1].smartHosts = [h]))).toEqual([]);
  });
});
