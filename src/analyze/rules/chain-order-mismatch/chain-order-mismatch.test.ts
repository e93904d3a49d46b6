import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'chain-order-mismatch';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['a connector skips a system', 'invalid/skips-a-system.yaml', () => {}, [{ path: ['connectors', 0, 'to'], data: { connector: 'To UNIX', system: 'exchange', domain: 'example.com', chain: 'example.com shared', expected: 'notes', actual: 'unix' } }]],
    ['the last system sends the domain back', 'invalid/last-sends-back.yaml', () => {}, [{ path: ['connectors', 1, 'to'], data: { connector: 'Back to Exchange', system: 'unix', domain: 'example.com', chain: 'example.com shared', expected: '', actual: 'exchange' } }]],
    ['a "*" connector carries the domain out', 'invalid/wildcard-to-internet.yaml', () => {}, [{ path: ['connectors', 0, 'addressSpaces', 0], data: { connector: 'Internet', system: 'exchange', domain: 'example.com', chain: 'example.com shared', expected: 'unix', actual: '[203.0.113.25]' } }]],
    [
      'a smart host that is another system of the file',
      'invalid/skips-a-system.yaml',
      (c) => (c.connectors[0] = { name: 'To UNIX', system: 'exchange', addressSpaces: ['example.com'], smartHosts: ['[192.168.1.10]'], allowRelay: true }),
      [{ path: ['connectors', 0, 'smartHosts', 0], data: { connector: 'To UNIX', system: 'exchange', domain: 'example.com', chain: 'example.com shared', expected: 'notes', actual: 'unix' } }],
    ],
    ['a connector to itself', 'valid/method1.yaml', (c) => (c.connectors[0].to = 'exchange'), [{ path: ['connectors', 0, 'to'], data: { connector: 'To UNIX', system: 'exchange', domain: 'example.com', chain: 'example.com shared', expected: 'unix', actual: 'exchange' } }]],
    ['the last system\'s "*" connector is its outbound route', 'valid/last-system-outbound.yaml', () => {}, []],
    ['an external smart host is connector-leaves-organization\'s', 'valid/external-smart-host.yaml', () => {}, []],
    ['no connector is missing-connector\'s', 'valid/method1.yaml', (c) => delete c.connectors, []],
    ['a chain with an unknown system is skipped', 'invalid/skips-a-system.yaml', (c) => (c.chains[0].order = ['exchange', 'notes', 'unx']), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it.each([
    ['invalid/skips-a-system.yaml', 'to: notes'],
    ['invalid/last-sends-back.yaml', 'addressSpaces: [example.local]'],
    ['invalid/wildcard-to-internet.yaml', 'name: To unix\nsystem: exchange\naddressSpaces: [example.com]\nto: unix\nallowRelay: true'],
  ])('%s: fix', (fixture, yaml) => {
    const [f] = run(fixture);
    expect(f?.fix?.yaml).toBe(yaml);
    expect(f?.related?.length).toBe(1);
  });

  it('a connector of the last system that carries only the domain has no YAML fix (remove it)', () => {
    const [f] = run('invalid/last-sends-back.yaml', (c) => (c.connectors[1].addressSpaces = ['example.com']));
    expect(f?.fix).toBeUndefined();
  });
});
