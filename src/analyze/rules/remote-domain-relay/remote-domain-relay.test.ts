import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'remote-domain-relay';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

function run(edit: (c: Cfg) => void): Finding[] {
  return cases.findings('invalid/partner-relay.yaml', edit);
}

describe(RULE, () => {
  it('reports the relay right at allowRelay, with the systems that relay', () => {
    const f = run(() => {});
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['connectors', 0, 'allowRelay'] });
    expect(f[0]?.data).toEqual({ connector: 'To partner', domain: 'partner.example', systems: 'exchange' });
    expect(f[0]?.fix?.yaml).toBe('allowRelay: false');
  });

  it('reports a declared domain that no system accepts, as well as a remote one', () => {
    const f = run((c) => (c.domains['partner.example'] = {}));
    expect(f.map((x) => x.data?.domain)).toEqual(['partner.example']);
  });

  it.each<[string, (c: Cfg) => void]>([
    ['no relay right', (c) => (c.connectors[0].allowRelay = false)],
    ['a "*" connector (never relays anonymous mail)', (c) => (c.connectors[0].addressSpaces = ['*'])],
    [
      'the bridgehead accepts the domain with a policy (method 2 mail switch)',
      (c) => c.policies.push({ name: 'Partner', system: 'exchange', filter: null, addresses: [{ space: '@partner.example', authoritative: false }] }),
    ],
  ])('is quiet with %s', (_, edit) => {
    expect(run(edit)).toEqual([]);
  });
});
