import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'connector-leaves-organization';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['a smart host that is no system', 'invalid/wrong-smart-host.yaml', () => {}, [{ path: ['connectors', 0, 'smartHosts', 0], data: { connector: 'To UNIX', system: 'exchange', domain: 'example.com', chain: 'example.com shared', host: '[192.168.1.99]' } }]],
    ['a backup smart host outside', 'invalid/backup-host-outside.yaml', () => {}, [{ path: ['connectors', 0, 'smartHosts', 1], data: { connector: 'To UNIX', system: 'exchange', domain: 'example.com', chain: 'example.com shared', host: 'backup.example.net' } }]],
    ['the same host on another port is another host', 'valid/smart-host-is-a-system.yaml', (c) => (c.connectors[0].smartHosts = ['[192.168.1.10]:2525']), [{ path: ['connectors', 0, 'smartHosts', 0], data: { connector: 'To UNIX', system: 'exchange', domain: 'example.com', chain: 'example.com shared', host: '[192.168.1.10]:2525' } }]],
    ['the smart host is a system of the file', 'valid/smart-host-is-a-system.yaml', () => {}, []],
    ['a remote domain is meant to leave', 'valid/remote-domain.yaml', () => {}, []],
    ['a domain that is not chained', 'invalid/wrong-smart-host.yaml', (c) => delete c.chains, []],
    ['an invalid smart host is invalid-address\'s', 'invalid/wrong-smart-host.yaml', (c) => (c.connectors[0].smartHosts = ['[192.168.1.999]']), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it('suggests naming the next system', () => {
    const [f] = run('invalid/wrong-smart-host.yaml');
    expect(f?.fix?.yaml).toBe('to: unix');
    expect(f?.related?.map((r) => r.at)).toEqual([{ path: ['chains', 0, 'order', 0] }]);
  });
});
