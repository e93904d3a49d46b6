import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'smart-host-brackets';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete valid fixture after `edit`, with extra files beside it. */
function run(edit: (c: Cfg) => void, files: Record<string, string> = {}): Finding[] {
  return cases.findings('valid/complete.yaml', edit, files);
}

describe('smart-host-brackets', () => {
  it.each([
    ['10.1.1.1', '[10.1.1.1]'],
    ['10.1.1.1:2525', '[10.1.1.1]:2525'],
    ['2001:db8::25', '[2001:db8::25]'],
  ])('smart host %s becomes %s', (host, fixed) => {
    const f = run((c) => (c.connectors[1].smartHosts = ['mx.remote.domain', host]));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ at: { path: ['connectors', 1, 'smartHosts', 1] }, data: { host, fixed } });
    expect(f[0]?.fix?.yaml).toBe(`smartHosts: [mx.remote.domain, "${fixed}"]`);
  });

  it('reports a system host', () => {
    const f = run((c) => (c.systems.unix.host = '192.168.1.10'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      at: { path: ['systems', 'unix', 'host'] },
      message:
        'system "unix" has host "192.168.1.10", an IP address without brackets: write "[192.168.1.10]" (Exchange 2000/2003 and Postfix take an IP next hop only in brackets)',
      fix: { yaml: 'host: "[192.168.1.10]"' },
    });
  });

  it.each(['[10.1.1.1]', '[10.1.1.1]:25', 'mx.remote.domain', '[mx.remote.domain]', 'mx.remote.domain:2525', '[IPv6:2001:db8::25]'])(
    'accepts %s',
    (host) => {
      expect(run((c) => ((c.connectors[1].smartHosts = [host]), (c.systems.unix.host = host)))).toEqual([]);
    },
  );

  it('leaves invalid hosts to invalid-address', () => {
    expect(run((c) => (c.connectors[1].smartHosts = ['10.1.1.1:99999', '[10.1.1.1']))).toEqual([]);
  });
});
