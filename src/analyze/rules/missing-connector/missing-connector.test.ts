import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'missing-connector';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['a chain member without its connector', 'invalid/no-connector-to-unix.yaml', () => {}, [{ path: ['policies', 1, 'addresses', 0], data: { system: 'exchange', domain: 'example.com', policy: 'Shared example.com', next: 'unix' } }]],
    ['a remote domain without its connector', 'invalid/remote-domain.yaml', () => {}, [{ path: ['policies', 1, 'addresses', 0], data: { system: 'exchange', domain: 'remote.domain', policy: 'Remote domains' } }]],
    ['a "*" connector carries it', 'valid/wildcard-connector.yaml', () => {}, []],
    ['a connector to an unknown system is unknown-reference\'s', 'valid/connector-with-unknown-target.yaml', () => {}, []],
    ['a connector whose only smart host is invalid is invalid-address\'s', 'invalid/remote-domain.yaml', (c) => (c.connectors = [{ name: 'R', system: 'exchange', addressSpaces: ['remote.domain'], smartHosts: ['[10.1.1.300]'], allowRelay: true }]), []],
    ['the last system of a chain is chain-without-authority\'s', 'invalid/no-connector-to-unix.yaml', (c) => (c.chains[0].order = ['unix', 'exchange']), []],
    ['forwardUnresolvedTo outside a chain takes the mail', 'invalid/remote-domain.yaml', (c) => (c.systems.exchange.forwardUnresolvedTo = '[10.1.1.1]'), []],
    ['forwardUnresolvedTo in a chain does not count', 'invalid/no-connector-to-unix.yaml', (c) => (c.systems.exchange.forwardUnresolvedTo = 'unix'), [{ path: ['policies', 1, 'addresses', 0], data: { system: 'exchange', domain: 'example.com', policy: 'Shared example.com', next: 'unix' } }]],
    ['a domain nobody owns is no-authority\'s', 'invalid/remote-domain.yaml', (c) => (c.domains['remote.domain'] = {}), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it('fixes with a connector to the next system of the chain, and only then', () => {
    expect(run('invalid/no-connector-to-unix.yaml')[0]?.fix?.yaml).toBe('name: To unix\nsystem: exchange\naddressSpaces: [example.com]\nto: unix\nallowRelay: true');
    expect(run('invalid/remote-domain.yaml')[0]?.fix).toBeUndefined();
  });
});
