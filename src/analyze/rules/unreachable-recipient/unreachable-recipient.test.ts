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

  describe('at an authoritative Exchange system (valid/exchange-routing-domain.yaml, the cross-forest merger)', () => {
    const forests = (edit: (c: Cfg) => void): Finding[] => cases.findings('valid/exchange-routing-domain.yaml', edit);
    // alice and anil route alike: the walk classes them as one recipient (route-walk.ts)
    const data = { system: 'forest-b', recipient: 'alice@contoso.com', host: 'forest-a', failsAt: 'forest-b', hop: '0', recipients: '1' };

    it.each<[string, (c: Cfg) => void, RegExp]>([
      ['forest A has no routing domain', (c) => delete c.systems['forest-a'].routingDomain, /give system "forest-a" a routingDomain .*declare it under domains, and add a connector on "forest-b" for it to "forest-a"/],
      [
        'forest B has no connector for forest A\'s routing domain',
        (c) => c.connectors.splice(c.connectors.findIndex((x: { name: string }) => x.name === 'Cross-forest to Contoso'), 1),
        /add a connector on "forest-b" for "forest-a"'s routing domain "contoso.local" to "forest-a"/,
      ],
    ])('reports it (550 5.1.1 at Exchange) when %s, with the fix', (_, edit, fix) => {
      const f = forests(edit);
      expect(f.map((x) => x.data)).toEqual([data]);
      expect(f[0]?.at).toEqual({ path: ['systems', 'forest-b'], key: true });
      expect(f[0]?.message).toMatch(/^mail from users of system "forest-b" to "alice@contoso.com" \(hosted by "forest-a"\) does not arrive: it is refused \(550 5\.1\.1: /);
      expect(f[0]?.message).toMatch(fix);
    });

    it('is quiet when forest A names its routing domain and forest B routes it (the generated contacts)', () => {
      expect(forests(() => {})).toEqual([]);
    });
  });
});
