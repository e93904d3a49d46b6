import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'contact-address-not-accepted';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete fixture after `edit`. */
function run(edit: (c: Cfg) => void): Finding[] {
  return cases.findings('valid/complete.yaml', edit);
}

describe('contact-address-not-accepted', () => {
  it.each<[string, string[], number, Record<string, string>, string | undefined]>([
    ['a domain nobody accepts', ['internetuser@xo.one', 'iu@partner.example'], 1, { address: 'iu@partner.example', domain: 'partner.example' }, undefined],
    [
      'a typo of an accepted domain',
      ['smtp:internetuser@xo.on'],
      0,
      { address: 'internetuser@xo.on', domain: 'xo.on', suggestion: 'xo.one' },
      'proxyAddresses: [smtp:internetuser@xo.one]',
    ],
    ['an IDN domain, compared as an A-label', ['iu@例え.jp'], 0, { address: 'iu@例え.jp', domain: 'xn--r8jz45g.jp' }, undefined],
  ])('%s', (_, proxies, index, data, fix) => {
    const f = run((c) => {
      c.domains['partner.example'] = {};
      c.domains['xo.on'] = {};
      c.domains['例え.jp'] = {};
      c.contacts[0].proxyAddresses = proxies;
    });
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['contacts', 0, 'proxyAddresses', index] });
    expect(f[0]?.data).toEqual({ contact: 'Internet User', system: 'exchange', ...data });
    expect(f[0]?.fix?.yaml).toBe(fix);
  });

  it('names the address, the contact, the system and what it accepts', () => {
    const [f] = run((c) => {
      c.domains['例え.jp'] = {};
      c.contacts[0].proxyAddresses = ['iu@例え.jp'];
    });
    expect(f?.message).toBe(
      'secondary address "iu@例え.jp" of contact "Internet User" is in "例え.jp" (xn--r8jz45g.jp), which system "exchange" does not accept (it accepts "example.com", "example.local", "remote.domain", "xo.one"): mail to it never reaches the contact',
    );
  });

  it.each<[string, (c: Cfg) => void]>([
    ['the complete file', () => {}],
    ['an accepted IDN domain in its Unicode form', (c) => {
      c.domains['例え.jp'] = {};
      c.policies[0].addresses.push({ space: '@xn--r8jz45g.jp', authoritative: true });
      c.contacts[0].proxyAddresses.push('iu@例え.jp');
    }],
    ['the targetAddress among the proxies, as primary or not', (c) => {
      c.contacts[0].proxyAddresses.push('SMTP:internetUser@remote.domain', 'internetuser@REMOTE.domain');
    }],
    ['a contact on an unknown system (unknown-reference reports it)', (c) => {
      c.contacts[0].system = 'exchang';
      c.contacts[0].proxyAddresses.push('iu@partner.example');
    }],
    ['an invalid address (invalid-address reports it)', (c) => c.contacts[0].proxyAddresses.push('iu@@partner')],
  ])('is quiet on %s', (_, edit) => {
    expect(run(edit)).toEqual([]);
  });
});
