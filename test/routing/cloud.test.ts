import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Simulator } from '../../src/route/simulate.js';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { ruleCases, type Cfg } from '../support/rule-cases.js';
import { repoRoot } from '../support/fixtures.js';

/**
 * Issue 17: the routing semantics of Exchange Online and Google Workspace in the one
 * engine (docs/exchange-online.md, docs/google-workspace.md), over the two examples and
 * edits of them. Each case names the behaviour and the outcome the real service gives.
 */
const cases = ruleCases('cloud-routing', import.meta.url);
const example = (name: string): Cfg => parse(readFileSync(join(repoRoot, 'examples', name, 'chainmail.yaml'), 'utf8'));

function simulator(c: Cfg): Simulator {
  const loaded = cases.load(c);
  if (!loaded.model) throw new Error('no model');
  return new Simulator(compileRoutingTables(loaded.model));
}

/** outcome kind, system or host, status */
function outcome(sim: Simulator, to: string, from = 'internet'): string {
  const o = sim.route(to, from).outcome;
  return [o.kind, o.system ?? o.host ?? '', o.status ?? ''].join(' ').trim();
}

describe('Exchange Online', () => {
  it.each<[string, (c: Cfg) => void, string, string, string]>([
    ['an unknown recipient of an Authoritative domain is refused at the edge (DBEB)', () => {}, 'nobody@contoso.com', 'internet', 'refused m365 5.4.1'],
    ['a cloud user writing to an unknown recipient of an Authoritative domain: RecipientNotFound', () => {}, 'nobody@contoso.com', 'm365', 'refused m365 5.1.10'],
    [
      'an unknown recipient of an InternalRelay domain leaves by the outbound connector (DBEB off) and bounces on-premises',
      (c) => (c.systems.m365.acceptedDomains['contoso.com'] = 'InternalRelay'),
      'nobody@contoso.com',
      'internet',
      'bounced unix 5.1.1',
    ],
    [
      'an InternalRelay domain without an outbound connector goes by its MX, back to the tenant itself (a loop)',
      (c) => {
        c.systems.m365.acceptedDomains['contoso.com'] = 'InternalRelay';
        delete c.systems.m365.outboundConnectors;
      },
      'nobody@contoso.com',
      'internet',
      'looped m365 5.4.6',
    ],
    ['a mail user whose ExternalEmailAddress is its own address leaves by the connector', () => {}, 'carol@contoso.com', 'internet', 'delivered unix'],
    [
      'without the mail user the tenant does not know the on-premises recipient: DBEB refuses it',
      (c) => (c.systems.m365.mailUsers = [c.systems.m365.mailUsers[0]]),
      'carol@contoso.com',
      'internet',
      'refused m365 5.4.1',
    ],
    [
      'a mail user with another ExternalEmailAddress is rewritten to it (cross-tenant)',
      (c) => c.systems.m365.mailUsers.push({ address: 'dan@contoso.com', externalEmailAddress: 'dan@fabrikam.example' }),
      'dan@contoso.com',
      'internet',
      'external fabrikam.example',
    ],
    ['relaying for an internet client is refused (TenantAttribution)', () => {}, 'x@fabrikam.example', 'internet', 'refused m365 5.7.64'],
    ['a cloud user mails the internet by MX', () => {}, 'x@fabrikam.example', 'm365', 'external fabrikam.example'],
  ])('%s', (_, edit, to, from, want) => {
    const c = example('hybrid');
    edit(c);
    expect(outcome(simulator(c), to, from)).toBe(want);
  });

  it.each<[string, string, string]>([
    ['cloud -> Postfix', 'carol@contoso.com', 'm365'],
    ['cloud -> on-premises Exchange', 'bob@contoso.com', 'm365'],
    ['Postfix -> cloud', 'alice@contoso.com', 'unix'],
    ['on-premises Exchange -> cloud', 'anil@contoso.com', 'onprem'],
    ['Postfix -> on-premises Exchange', 'bob@contoso.com', 'unix'],
  ])('the reverse path: %s', (_, to, from) => {
    const want = { 'alice@contoso.com': 'm365', 'anil@contoso.com': 'm365', 'bob@contoso.com': 'onprem', 'carol@contoso.com': 'unix' }[to];
    expect(outcome(simulator(example('hybrid')), to, from)).toBe(`delivered ${want}`);
  });

  it('relays what comes through an inbound connector, and from no other system', () => {
    const c = example('hybrid');
    // on-premises sends its internet mail through the tenant (a "*" connector to it)
    c.connectors.push({ name: 'Internet via Exchange Online', system: 'onprem', addressSpaces: ['*'], to: 'm365', allowRelay: true });
    const sim = simulator(c);
    expect(outcome(sim, 'x@fabrikam.example', 'onprem')).toBe('external fabrikam.example');
    c.systems.m365.inboundConnectors[0].from = ['unix'];
    expect(outcome(simulator(c), 'x@fabrikam.example', 'onprem')).toBe('bounced m365 5.7.64');
  });

  it('centralized mail transport: cloud internet mail goes through on-premises; a way back makes a loop', () => {
    const c = example('hybrid');
    c.systems.m365.outboundConnectors.push({ name: 'Outbound to on-premises (all)', recipientDomains: ['*'], to: 'onprem', centralizedMailTransport: true });
    // the engine lets a peer relay only to a named address space (a "*" would be an open relay)
    c.connectors.push({ name: 'Partner via Exchange Online', system: 'onprem', addressSpaces: ['fabrikam.example'], to: 'm365', allowRelay: true });
    const route = simulator(c).route('x@fabrikam.example', 'm365');
    expect(route.outcome.kind).toBe('looped');
    expect(route.hops.slice(0, 3).map((h) => h.system)).toEqual(['m365', 'onprem', 'm365']);
  });
});

describe('Google Workspace', () => {
  it.each<[string, (c: Cfg) => void, string, string, string]>([
    ['a Gmail user is delivered at Google', () => {}, 'gina@example.org', 'internet', 'delivered google'],
    ['split delivery of a suspended user', () => {}, 'sam@example.org', 'internet', 'delivered legacy'],
    ['split delivery of a user without Gmail', () => {}, 'lee@example.org', 'internet', 'delivered legacy'],
    ['split delivery of an address Google does not know', () => {}, 'pat@example.org', 'internet', 'delivered legacy'],
    ['an unknown address goes to the secondary, which bounces it', () => {}, 'nobody@example.org', 'internet', 'bounced legacy 5.1.1'],
    ['without split delivery a suspended user is refused (disabled)', (c) => delete c.systems.google.splitDelivery, 'sam@example.org', 'internet', 'refused google 5.2.1'],
    ['without split delivery an unknown address is refused at RCPT', (c) => delete c.systems.google.splitDelivery, 'nobody@example.org', 'internet', 'refused google 5.1.1'],
    ['split delivery of all recipients takes Gmail users to the secondary too', (c) => (c.systems.google.splitDelivery.which = 'all'), 'gina@example.org', 'internet', 'bounced legacy 5.1.1'],
    [
      'a secondary that sends unknown recipients back to Google loops',
      (c) => {
        c.policies[0].addresses[0].authoritative = false;
        c.connectors = [{ name: 'Back to Google', system: 'legacy', addressSpaces: ['example.org'], to: 'google', allowRelay: true }];
      },
      'nobody@example.org',
      'internet',
      'looped google 5.4.6',
    ],
    ['the reverse path: a legacy user writes to a Gmail user', () => {}, 'greg@example.org', 'legacy', 'delivered google'],
  ])('%s', (_, edit, to, from, want) => {
    const c = example('google-split');
    edit(c);
    expect(outcome(simulator(c), to, from)).toBe(want);
  });

  it('says dual delivery in the reason of a Gmail delivery', () => {
    const c = example('google-split');
    c.systems.google.dualDelivery = { to: 'legacy' };
    const hop = simulator(c).route('gina@example.org').hops.at(-1);
    expect(hop?.reason).toBe('local mailbox; dual delivery copies it to legacy');
  });
});
