import { describe, expect, it } from 'vitest';
import { lint } from '../../src/analyze/lint.js';
import { ruleById } from '../../src/analyze/registry.js';
import { compileRoutingTables } from '../../src/routing/compile.js';
import type { Model } from '../../src/model/model.js';
import { loadModel } from '../../src/pipeline.js';
import { checkExpectation } from '../../src/routing/expect.js';
import { Simulator, type Route } from '../../src/route/simulate.js';
import { repoRoot } from '../support/fixtures.js';

// The seed's scenarios (KB 321721) end to end: file -> model -> compiled tables -> simulator.

function open(file: string): { model: Model; sim: Simulator } {
  const loaded = loadModel(file, { cwd: repoRoot });
  if (!loaded.model) throw new Error(`${file} has no model: ${loaded.fatal ?? loaded.findings.map((f) => f.message).join('; ')}`);
  expect(loaded.findings).toEqual([]);
  return { model: loaded.model, sim: new Simulator(compileRoutingTables(loaded.model)) };
}

const METHOD1 = 'examples/method1/chainmail.yaml';
const METHOD1_OPEN = 'test/fixtures/routing/method1-no-gateway-check.yaml';
const METHOD2 = 'examples/method2/chainmail.yaml';
const LOOP = 'test/fixtures/routing/loop.yaml';
const FORESTS = 'examples/forests/chainmail.yaml';
const IDN = 'examples/idn-chain/chainmail.yaml';

const steps = (r: Route): string[] => r.hops.map((h) => `${h.system}:${h.decision}`);

describe('method 1: Exchange shares example.com with a UNIX server', () => {
  const { sim } = open(METHOD1);

  it('delivers a known UNIX user at unix, through the connector', () => {
    const r = sim.route('carol@example.com');
    expect(steps(r)).toEqual(['exchange:forward', 'unix:deliver']);
    expect(r.hops[0]).toMatchObject({ nextHop: '[192.168.1.10]:25', nextSystem: 'unix', by: { connector: 'To UNIX', chain: 'example.com shared' } });
    expect(r.outcome).toEqual({ kind: 'delivered', system: 'unix', mailbox: 'carol@example.com' });
  });

  it('delivers an Exchange mailbox and its aliases at exchange', () => {
    expect(sim.route('alice@example.com').outcome).toMatchObject({ kind: 'delivered', system: 'exchange' });
    expect(sim.route('robert@example.com').outcome).toMatchObject({ kind: 'delivered', system: 'exchange', mailbox: 'bob@example.com' });
    expect(sim.route('bob@example.local').outcome).toMatchObject({ kind: 'delivered', system: 'exchange', mailbox: 'bob@example.com' });
  });

  it('forwards an unknown recipient: Exchange cannot validate an InternalRelay domain, unix bounces it', () => {
    const r = sim.route('nobody@example.com');
    expect(steps(r)).toEqual(['exchange:forward', 'unix:bounce']);
    expect(r.outcome).toEqual({ kind: 'bounced', system: 'unix', status: '5.1.1', code: 550 });
  });

  it('refuses a foreign domain as relaying (5.7.1)', () => {
    expect(sim.route('someone@foreign.test').outcome).toEqual({ kind: 'refused', system: 'exchange', status: '5.7.1', code: 554 });
  });

  it('sends local mail for a foreign domain out by MX', () => {
    expect(sim.route('someone@foreign.test', 'unix').outcome).toEqual({ kind: 'external', host: 'foreign.test' });
  });
});

describe('method 1 with rejectUnknownAtGateway: false', () => {
  const { sim } = open(METHOD1_OPEN);

  it('forwards the unknown recipient to unix, which bounces it 5.1.1 (exchange returns the NDR)', () => {
    const r = sim.route('nobody@example.com');
    expect(steps(r)).toEqual(['exchange:forward', 'unix:bounce']);
    expect(r.outcome).toEqual({ kind: 'bounced', system: 'unix', status: '5.1.1', code: 550 });
  });

  it('still delivers the known users', () => {
    expect(sim.route('carol@example.com').outcome).toMatchObject({ kind: 'delivered', system: 'unix' });
    expect(sim.route('alice@example.com').outcome).toMatchObject({ kind: 'delivered', system: 'exchange' });
  });
});

describe('method 2: Exchange as a mail switch for remote.domain (contacts)', () => {
  const { model, sim } = open(METHOD2);
  const connector = model.connectors.find((c) => c.addressSpaces.some((a) => a.domain !== '*' && a.domain.ascii === 'remote.domain'));
  const smartHost = connector?.smartHosts[0]?.raw ?? '';

  it('has a connector with a bracketed smart host for remote.domain', () => {
    expect(smartHost).toMatch(/^\[.+\]/);
  });

  it('rewrites internetuser@xo.one to internetUser@remote.domain and leaves through the connector', () => {
    const r = sim.route('internetuser@xo.one');
    expect(steps(r)).toEqual(['exchange:rewrite', 'exchange:forward']);
    expect(r.hops[0]).toMatchObject({ address: 'internetuser@xo.one', by: { contact: 'Internet User' } });
    expect(r.hops[1]).toMatchObject({ address: 'internetUser@remote.domain', by: { connector: connector?.name } });
    expect(r.hops[1]?.nextSystem).toBeUndefined();
    expect(r.outcome.kind).toBe('external');
    expect(checkExpectation({ to: r.recipient, from: 'internet', expect: { kind: 'external', target: smartHost }, path: [] }, r).passed).toBe(true);
  });

  it('matches the contact case-insensitively', () => {
    expect(sim.route('InternetUser@XO.ONE').hops[1]?.address).toBe('internetUser@remote.domain');
  });
});

describe('the loop the seed warns of: the last system forwards unresolved mail back to the gateway', () => {
  const { sim } = open(LOOP);

  it('walks exchange -> unix -> exchange ... until exchange\'s hop limit stops it (Exchange: 5.4.14)', () => {
    const r = sim.route('nobody@example.com');
    expect(r.outcome).toEqual({ kind: 'looped', system: 'exchange', status: '5.4.14', code: 554 });
    // 20 forwards (Received: 0..19), then exchange's limit of 20
    expect(r.hops.filter((h) => h.decision === 'forward')).toHaveLength(20);
    expect(r.hops.at(-1)).toMatchObject({ system: 'exchange', decision: 'loop' });
  });

  it('with cycle detection, stops at the first repeated state and names the cycle', () => {
    const r = sim.route('nobody@example.com', 'internet', { detectCycles: true });
    expect(r.outcome).toMatchObject({ kind: 'looped', status: '5.4.6' });
    expect(r.cycle).toEqual(['exchange', 'unix', 'exchange']);
  });

  it('still delivers the known recipient', () => {
    expect(sim.route('carol@example.com').outcome).toMatchObject({ kind: 'delivered', system: 'unix' });
  });

  // Written by another helper; asserted once it is registered.
  it.runIf(ruleById.has('forwarding-loop'))('is reported by the forwarding-loop rule', () => {
    const ids = lint(loadModel(LOOP, { cwd: repoRoot })).diagnostics.map((d) => d.ruleId);
    expect(ids).toContain('forwarding-loop');
  });
});

describe('two Exchange forests after a merger', () => {
  const { sim } = open(FORESTS);

  it('forwards a forest B user of the shared space across the forests', () => {
    const r = sim.route('bruno@contoso.com');
    expect(steps(r)).toEqual(['forest-a:forward', 'forest-b:deliver']);
    expect(r.hops[0]?.by.connector).toBe('Cross-forest to Fabrikam');
  });

  it('forwards Fabrikam\'s old domain too, and unknown recipients, which forest B bounces', () => {
    expect(sim.route('beatriz@fabrikam.com').outcome).toMatchObject({ kind: 'delivered', system: 'forest-b', mailbox: 'beatriz@contoso.com' });
    expect(sim.route('nobody@contoso.com').outcome).toMatchObject({ kind: 'bounced', system: 'forest-b', status: '5.1.1' });
    expect(sim.route('nobody@fabrikam.com').outcome).toMatchObject({ kind: 'bounced', system: 'forest-b', status: '5.1.1' });
  });

  it('routes forest B mail to forest A\'s private space over the cross-forest connector', () => {
    const r = sim.route('alice@contoso.local', 'forest-b');
    expect(steps(r)).toEqual(['forest-b:forward', 'forest-a:deliver']);
    expect(r.hops[0]?.by.connector).toBe('Cross-forest to Contoso');
  });

  it('does not relay the private spaces for the internet', () => {
    expect(sim.route('bruno@fabrikam.local').outcome).toMatchObject({ kind: 'refused', system: 'forest-a', status: '5.7.1' });
  });
});

describe('three-system chain for an IDN domain (exchange -> relay -> postfix)', () => {
  const { sim } = open(IDN);

  it.each(['sato@例え.jp', 'sato@xn--r8jz45g.jp', 'Sato@XN--R8JZ45G.JP'])('%s is delivered at postfix after two forwards', (address) => {
    const r = sim.route(address);
    expect(steps(r)).toEqual(['exchange:forward', 'relay:forward', 'postfix:deliver']);
    expect(r.hops.map((h) => h.nextSystem)).toEqual(['relay', 'postfix', undefined]);
    expect(r.outcome).toEqual({ kind: 'delivered', system: 'postfix', mailbox: 'sato@xn--r8jz45g.jp' });
  });

  it.each(['nobody@例え.jp', 'nobody@xn--r8jz45g.jp'])('%s is bounced by the last system (5.1.1): the Exchange gateway cannot validate', (address) => {
    expect(sim.route(address).outcome).toMatchObject({ kind: 'bounced', system: 'postfix', status: '5.1.1' });
  });

  it.each(['yamada@例え.jp', 'yamada@xn--r8jz45g.jp'])('%s resolves to a contact with a Japanese name and leaves for the partner', (address) => {
    const r = sim.route(address);
    expect(r.hops[0]).toMatchObject({ decision: 'rewrite', by: { contact: '山田 太郎' } });
    expect(r.outcome).toEqual({ kind: 'external', host: '[203.0.113.25]:25' });
  });

  it('a sender-routed address ("%" in the local part) is refused by Postfix as relaying (554 5.7.1), by the walk as by resolve()', () => {
    const r = sim.route('sato%elsewhere.example@例え.jp');
    expect(steps(r)).toEqual(['exchange:forward', 'relay:forward', 'postfix:bounce']);
    expect(r.outcome).toMatchObject({ kind: 'bounced', system: 'postfix', code: 554, status: '5.7.1' });
  });

  it('delivers the ASCII domain at the middle and last systems', () => {
    expect(sim.route('suzuki@example.jp').outcome).toMatchObject({ kind: 'delivered', system: 'relay' });
    expect(sim.route('takahashi@example.jp').outcome).toMatchObject({ kind: 'delivered', system: 'postfix' });
  });
});

// The classic open-relay probes: an address whose local part names another domain must
// never leave the organisation (RFC 5321 3.6: the local part is opaque to relays).
describe('open-relay tricks never leave the organisation', () => {
  const cases: [file: string, domain: string][] = [
    [METHOD1, 'example.com'],
    [METHOD1_OPEN, 'example.com'],
    [METHOD2, 'xo.one'],
    [FORESTS, 'contoso.com'],
    [FORESTS, 'fabrikam.com'],
    [IDN, '例え.jp'],
    [IDN, 'xn--r8jz45g.jp'],
    [LOOP, 'example.com'],
  ];
  const tricks = (d: string): string[] => [
    `user%victim.test@${d}`,
    `victim.test!user@${d}`,
    `"user@victim.test"@${d}`,
    `@${d}:user@victim.test`,
    `user%${d}@victim.test`,
    `${d}!user@victim.test`,
    'user@[1.2.3.4]',
    'user@[IPv6:2001:db8::1]',
  ];
  it.each(cases)('%s (%s)', (file, d) => {
    const { sim } = open(file);
    for (const address of tricks(d)) {
      const r = sim.route(address);
      expect(r.outcome.kind, address).not.toBe('external');
      for (const h of r.hops) {
        if (h.decision === 'forward') expect(h.nextSystem, `${address} forwarded outside by ${h.system}`).toBeDefined();
      }
      if (address.endsWith('@victim.test') || address.includes('@[')) expect(r.outcome, address).toMatchObject({ kind: 'refused' });
    }
  });
});

describe('issue 14: a contact reaches its target without a relay right to its domain', () => {
  // the remote-domain-relay fixture with the relay right taken away: the gateway relays
  // nothing for partner.example, and the contact's mail still leaves for the partner
  const { sim } = open('src/analyze/rules/remote-domain-relay/fixtures/valid/contact-without-relay.yaml');

  it("forwards the contact's address to the partner", () => {
    const r = sim.route('user@xo.one');
    expect(steps(r)).toEqual(['exchange:rewrite', 'exchange:forward']);
    expect(r.outcome).toEqual({ kind: 'external', host: '[192.0.2.25]:25' });
  });

  it('refuses a foreign sender another address of the partner: 554 5.7.1', () => {
    expect(sim.route('other@partner.example').outcome).toMatchObject({ kind: 'refused', system: 'exchange', status: '5.7.1', code: 554 });
  });

  it('the contact of the forests example leaves forest B by a connector without allowRelay', () => {
    const forests = open(FORESTS).sim;
    expect(forests.route('alice@contoso.com', 'forest-b').outcome).toMatchObject({ kind: 'delivered', system: 'forest-a' });
  });
});
