import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'default-policy-not-authoritative';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  return cases.findings(fixture, edit);
}

const summary = pathsAndData;

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['the primary space is unchecked', 'invalid/primary-unchecked.yaml', () => {}, [{ path: ['policies', 0, 'addresses', 0], data: { policy: 'Default Policy', system: 'exchange', domain: 'example.local' } }]],
    ['no address marked primary: the first is', 'invalid/first-address-is-primary.yaml', () => {}, [{ path: ['policies', 0, 'addresses', 0], data: { policy: 'Default Policy', system: 'exchange', domain: 'example.local' } }]],
    ['the primary is marked further down', 'invalid/first-address-is-primary.yaml', (c) => (c.policies[0].addresses[1].primary = true), []],
    ['authoritative through another policy of the system', 'valid/authoritative-by-another-policy.yaml', () => {}, []],
    ['a policy that is not the default', 'invalid/primary-unchecked.yaml', (c) => (c.policies[0].default = false), []],
    ['a default policy of an unknown system', 'invalid/primary-unchecked.yaml', (c) => (c.policies[0].system = 'exchang'), []],
    ['a shared primary is default-policy-shared\'s', 'valid/shared-primary-left-to-default-policy-shared.yaml', () => {}, []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it.each([
    ['nobody else has the space: check the box', 'invalid/primary-unchecked.yaml', (_: Cfg) => {}, 'space: "@example.local"\nprimary: true\nauthoritative: true'],
    ['another system has it: another space becomes primary', 'invalid/first-address-is-primary.yaml', (_: Cfg) => {}, 'addresses: [{space: "@example.net", primary: true, authoritative: true}]'],
    ['a remote primary: a new private space (step 1)', 'invalid/primary-unchecked.yaml', (c: Cfg) => (c.domains['example.local'] = { remote: true }), 'addresses: [{space: "@example.local", primary: true, authoritative: true}]'],
  ])('fix: %s', (_, fixture, edit, yaml) => {
    expect(run(fixture, edit)[0]?.fix?.yaml).toBe(yaml);
  });
});
