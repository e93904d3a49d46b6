import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'contact-target-unroutable';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete fixture after `edit`. */
function run(edit: (c: Cfg) => void): Finding[] {
  return cases.findings('valid/complete.yaml', edit);
}

const TARGET = ['contacts', 0, 'targetAddress'];

describe('contact-target-unroutable', () => {
  it.each<[string, (c: Cfg) => void, Record<string, string>, string | undefined]>([
    ['no connector, the domain accepted without authority', (c) => c.connectors.splice(1, 1), { domain: 'remote.domain', problem: 'no-connector' }, undefined],
    [
      'no connector and no policy for the domain',
      (c) => {
        c.connectors.splice(1, 1);
        c.policies.splice(2, 1);
      },
      { domain: 'remote.domain', problem: 'no-connector' },
      undefined,
    ],
    [
      'a target in an authoritative space of the system that nothing holds',
      (c) => (c.contacts[0].targetAddress = 'nobody@example.local'),
      { domain: 'example.local', problem: 'unknown-recipient', targetAddress: 'nobody@example.local' },
      undefined,
    ],
  ])('%s', (_, edit, data, fix) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: TARGET });
    expect(f[0]?.data).toEqual({ contact: 'Internet User', targetAddress: 'internetUser@remote.domain', system: 'exchange', ...data });
    expect(f[0]?.fix?.yaml).toBe(fix);
  });

  it('names the target, the contact and the system', () => {
    const [f] = run((c) => {
      c.connectors.splice(1, 1);
      c.policies.splice(2, 1);
    });
    expect(f?.message).toBe(
      'targetAddress "internetUser@remote.domain" of contact "Internet User" cannot be routed from system "exchange": no connector of the system carries "remote.domain": add one (KB 321721 method 2 step 4)',
    );
  });

  it.each<[string, (c: Cfg) => void]>([
    ['the complete file', () => {}],
    // issue 14: the contact's address was accepted; its target needs a connector, not a relay right
    ['a connector that does not allow relay (the target needs none)', (c) => (c.connectors[1].allowRelay = false)],
    ['a "*" connector that allows relay', (c) => (c.connectors[1].addressSpaces = ['*'])],
    ['a target that is a mailbox of the system', (c) => (c.contacts[0].targetAddress = 'alice@example.com')],
    ['a target in the shared space, passed on along the chain', (c) => (c.contacts[0].targetAddress = 'carol@example.com')],
    ['a contact on an unknown system (unknown-reference reports it)', (c) => {
      c.contacts[0].system = 'exchang';
      c.connectors.splice(1, 1);
    }],
  ])('is quiet on %s', (_, edit) => {
    expect(run(edit)).toEqual([]);
  });
});
