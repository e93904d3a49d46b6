import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'unreachable-system';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete valid fixture after `edit`. */
function run(edit: (c: Cfg) => void): Finding[] {
  return cases.findings('valid/complete.yaml', edit);
}

/**
 * Adds a third system "notes" to the chain between exchange and unix. Without a mailbox
 * list: unix would forward a known recipient of notes back to it (the reverse path).
 */
function addNotes(c: Cfg, connectorTo: string): void {
  c.systems.notes = { kind: 'other', host: '[192.168.1.20]' };
  c.policies.push({ name: 'Notes', system: 'notes', addresses: [{ space: '@example.com', authoritative: false }] });
  c.connectors[0].to = connectorTo;
  c.connectors.push({ name: 'Notes to UNIX', system: 'notes', addressSpaces: ['example.com'], to: 'unix', allowRelay: true });
  c.chains[0].order = ['exchange', 'notes', 'unix'];
}

describe('unreachable-system', () => {
  it.each<[string, (c: Cfg) => void, (string | number)[], Record<string, string>]>([
    ['a connector skips a system of the chain', (c) => addNotes(c, 'unix'), ['chains', 0, 'order', 1], { system: 'notes', chain: 'example.com shared', gateway: 'exchange', domains: 'example.com' }],
    [
      'an authoritative gateway bounces everything it does not know',
      (c) => (c.policies[1].addresses[0].authoritative = true),
      ['chains', 0, 'order', 1],
      { system: 'unix', chain: 'example.com shared', gateway: 'exchange', domains: 'example.com' },
    ],
    [
      'a system listed in the chain that has no connector into it (not even with unknown recipients accepted)',
      (c) => {
        c.chains[0].rejectUnknownAtGateway = false;
        c.connectors[0].addressSpaces = ['example.org'];
        c.domains['example.org'] = {};
        c.policies[1].addresses[0].authoritative = true;
      },
      ['chains', 0, 'order', 1],
      { system: 'unix', chain: 'example.com shared', gateway: 'exchange', domains: 'example.com' },
    ],
  ])('%s', (_, edit, path, data) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path });
    expect(f[0]?.data).toEqual(data);
  });

  it('names the system, the chain and the gateway', () => {
    const [f] = run((c) => addNotes(c, 'unix'));
    expect(f?.message).toBe(
      'system "notes" of chain "example.com shared" never receives mail for "example.com" from the gateway "exchange": no route of an unknown or a known recipient passes it',
    );
  });

  it.each<[string, (c: Cfg) => void]>([
    ['the complete file', () => {}],
    ['a chain of three in order', (c) => addNotes(c, 'notes')],
    ['a system reached only by its known recipients (the gateway rejects unknown ones)', (c) => {
      addNotes(c, 'notes');
      c.policies[2].addresses[0].authoritative = false;
      c.connectors[2].to = 'unix';
    }],
    ['a chain whose system is unknown (unknown-reference reports it)', (c) => (c.chains[0].order = ['exchange', 'unixx'])],
    ['a file without a gateway', (c) => (c.systems.exchange.gateway = false)],
  ])('is quiet on %s', (_, edit) => {
    expect(run(edit)).toEqual([]);
  });
});
