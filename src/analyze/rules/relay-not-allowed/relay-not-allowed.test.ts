import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'relay-not-allowed';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['allowRelay left out: at the address space', 'invalid/shared-without-relay.yaml', () => {}, [{ path: ['connectors', 0, 'addressSpaces', 0], data: { connector: 'To UNIX', system: 'exchange', domain: 'example.com', kind: 'shared' } }]],
    ['allowRelay: false: at the value', 'invalid/remote-relay-false.yaml', () => {}, [{ path: ['connectors', 0, 'allowRelay'], data: { connector: 'To remote', system: 'exchange', domain: 'remote.domain', kind: 'remote' } }]],
    // issue 14: a contact's target is routed after the message was accepted, without a relay check
    ['a remote domain the system does not accept needs no relay (contacts rewrite to it)', 'invalid/remote-relay-false.yaml', (c) => c.policies.pop(), []],
    [
      'one finding per connector, two bridgeheads',
      'invalid/shared-without-relay.yaml',
      (c) => {
        c.systems.exchange2 = { kind: 'exchange', host: 'mail2.example.com', mailboxes: [] };
        c.policies.push({ name: 'Shared 2', system: 'exchange2', addresses: [{ space: '@example.com', authoritative: false }] });
        c.connectors[0].system = ['exchange', 'exchange2'];
        c.chains.push({ name: 'second', domains: ['example.com'], order: ['exchange2', 'unix'] });
      },
      [{ path: ['connectors', 0, 'addressSpaces', 0], data: { connector: 'To UNIX', system: 'exchange', domain: 'example.com', kind: 'shared' } }],
    ],
    ['a "*" connector is never asked to relay', 'valid/internet-connector.yaml', () => {}, []],
    ['unchained, the same connector needs no relay', 'invalid/shared-without-relay.yaml', (c) => delete c.chains, []],
    ['the last system of a chain is chain-order-mismatch\'s', 'invalid/shared-without-relay.yaml', (c) => (c.chains[0].order = ['unix', 'exchange']), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it('fixes with allowRelay: true', () => {
    expect(run('invalid/shared-without-relay.yaml')[0]?.fix?.yaml).toBe('allowRelay: true');
  });
});
