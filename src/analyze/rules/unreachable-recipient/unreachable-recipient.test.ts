import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'unreachable-recipient';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for KB 321721 method 1 (valid/method1.yaml) after `edit`. */
function run(edit: (c: Cfg) => void): Finding[] {
  return cases.findings('valid/method1.yaml', edit);
}

describe('unreachable-recipient', () => {
  it.each<[string, (c: Cfg) => void, Record<string, string>]>([
    ['the authoritative UNIX server is of kind other (no artifacts route one recipient)', (c) => (c.systems.unix.kind = 'other'), { system: 'unix', recipient: 'alice@example.com', host: 'exchange', failsAt: 'unix', hop: '0', recipients: '1' }],
    [
      'Exchange is authoritative too, and the gateway validates nothing: UNIX users\' mail is bounced there',
      (c) => {
        c.systems.unix.kind = 'other';
        c.policies[1].addresses[0].authoritative = true;
      },
      { system: 'unix', recipient: 'alice@example.com', host: 'exchange', failsAt: 'unix', hop: '0', recipients: '1' },
    ],
  ])('reports %s', (_, edit, data) => {
    const f = run(edit);
    expect(f.map((x) => x.data)).toContainEqual(data);
    expect(f.find((x) => x.data?.['system'] === 'unix')?.at).toEqual({ path: ['systems', 'unix'], key: true });
  });

  it('names the sending system, the recipient, the hosting system, the hop and the fix', () => {
    const [f] = run((c) => (c.systems.unix.kind = 'other'));
    expect(f?.message).toMatch(/^mail from users of system "unix" to "alice@example.com" \(hosted by "exchange"\) does not arrive: it is refused \(550 5\.1\.1: .*\) at "unix" itself; configure "unix" to forward "alice@example.com" to "exchange"/);
  });

  it.each<[string, (c: Cfg) => void]>([
    ['method 1 (Postfix gets a transport entry per Exchange recipient)', () => {}],
    ['the UNIX server run by the embedded relay (routes.json has the reverse path)', (c) => (c.systems.unix.kind = 'relay')],
    ['a UNIX server without authority that forwards its unknown recipients to Exchange', (c) => {
      c.systems.unix.kind = 'other';
      c.systems.unix.forwardUnresolvedTo = 'exchange';
      c.chains[0].rejectUnknownAtGateway = true;
    }],
  ])('is quiet on %s', (_, edit) => {
    expect(run(edit)).toEqual([]);
  });
});
