import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'backscatter-risk';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete valid fixture after `edit`. */
function run(edit: (c: Cfg) => void): Finding[] {
  return cases.findings('valid/complete.yaml', edit);
}

describe('backscatter-risk', () => {
  it.each<[string, (c: Cfg) => void, (string | number)[], Record<string, string>, string | undefined]>([
    [
      'the last system does not list its recipients',
      (c) => delete c.systems.unix.mailboxes,
      ['chains', 0, 'order'],
      { chain: 'example.com shared', gateway: 'exchange', system: 'unix', domains: 'example.com', unlisted: 'unix' },
      undefined,
    ],
    [
      'the gateway does not list its recipients',
      (c) => delete c.systems.exchange.mailboxes,
      ['chains', 0, 'order'],
      { chain: 'example.com shared', gateway: 'exchange', system: 'unix', domains: 'example.com', unlisted: 'exchange' },
      undefined,
    ],
    [
      'the check at the gateway is turned off',
      (c) => (c.chains[0].rejectUnknownAtGateway = false),
      ['chains', 0, 'rejectUnknownAtGateway'],
      { chain: 'example.com shared', gateway: 'exchange', system: 'unix', domains: 'example.com', unlisted: '' },
      'rejectUnknownAtGateway: true',
    ],
    [
      'the gateway is Exchange, which cannot validate an InternalRelay domain (issue 14)',
      (c) => (c.systems.exchange.kind = 'exchange'),
      ['chains', 0, 'order'],
      { chain: 'example.com shared', gateway: 'exchange', system: 'unix', domains: 'example.com', unlisted: '', exchange: 'internal-relay' },
      undefined,
    ],
  ])('%s', (_, edit, path, data, fix) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path });
    expect(f[0]?.data).toEqual(data);
    expect(f[0]?.fix?.yaml).toBe(fix);
  });

  it('says which systems do not list their recipients', () => {
    const [f] = run((c) => {
      delete c.systems.unix.mailboxes;
      delete c.systems.exchange.mailboxes;
    });
    expect(f?.message).toBe(
      'gateway "exchange" accepts mail for unknown recipients of "example.com" and "unix" bounces it later (5.1.1): non-delivery reports go to forged senders (backscatter); "exchange", "unix" do not list their recipients (mailboxes or mailboxFiles), so the gateway cannot tell unknown ones',
    );
  });

  it('says why an Exchange gateway cannot reject them, and what to do', () => {
    const [f] = run((c) => (c.systems.exchange.kind = 'exchange'));
    expect(f?.message).toContain('Exchange cannot reject unknown recipients of an InternalRelay domain at RCPT');
    expect(f?.message).toContain('put a gateway that does (Postfix relay_recipient_maps, the chainmail relay) in front of it');
    expect(f?.fix).toBeUndefined();
  });

  it.each<[string, (c: Cfg) => void]>([
    ['every system lists its recipients (the gateway rejects unknown ones)', () => {}],
    ['an empty list is a list', (c) => (c.systems.unix.mailboxes = [])],
    ['the gateway is authoritative and bounces itself (shared-authoritative reports it)', (c) => {
      c.chains[0].rejectUnknownAtGateway = false;
      c.policies[1].addresses[0].authoritative = true;
    }],
    ['a loop (forwarding-loop reports it)', (c) => {
      c.chains[0].rejectUnknownAtGateway = false;
      c.systems.unix.forwardUnresolvedTo = 'exchange';
    }],
    ['a chain with an unknown system', (c) => {
      c.chains[0].rejectUnknownAtGateway = false;
      c.chains[0].order = ['exchange', 'unixx'];
    }],
  ])('is quiet when %s', (_, edit) => {
    expect(run(edit)).toEqual([]);
  });
});
