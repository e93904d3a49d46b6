import { describe, expect, it } from 'vitest';
import type { AcceptedDomain, ConnectorEntry, NextHop, RoutingTable } from '../../src/routing/table.js';
import { recipientKey, resolve, type Decision, type Origin } from '../../src/routing/resolve.js';

// One hand-written table per branch of the lookup order in docs/routing.md
// (docs/routing.md): hop limit, unroutable, recipient, accepted domain (a-d), not accepted.

const hop = (system: string | undefined, host: string): NextHop => ({
  ...(system !== undefined ? { system } : {}),
  hosts: [{ host, port: 25, mx: false, display: `[${host}]` }],
});
const connector = (name: string, addressSpaces: string[], allowRelay: boolean, next: NextHop): ConnectorEntry => ({ name, addressSpaces, allowRelay, nextHop: next });
const domain = (over: Partial<AcceptedDomain> = {}): AcceptedDomain => ({ authority: 'internal-relay', policy: 'Shared', rejectUnknown: false, remote: false, ...over });

function table(over: Partial<RoutingTable> = {}): RoutingTable {
  return {
    version: 1,
    system: 'gw',
    kind: 'exchange',
    host: 'mail.example.com',
    port: 25,
    mx: true,
    gateway: true,
    hopLimit: 20,
    listsRecipients: true,
    domains: {},
    recipients: {},
    knownRecipients: [],
    connectors: [],
    unresolved: null,
    ...over,
  };
}

const toNext = hop('next', '10.0.0.2');
const toSmart = hop(undefined, '203.0.113.9');
const shared = table({
  domains: { 'example.com': domain({ chain: 'c' }), 'example.local': domain({ authority: 'authoritative', policy: 'Default Policy' }), 'xn--r8jz45g.jp': domain() },
  recipients: {
    'alice@example.com': { action: 'deliver', mailbox: 'alice@example.com' },
    'al@example.local': { action: 'deliver', mailbox: 'alice@example.com', alias: true },
    'contact@example.com': { action: 'rewrite', to: 'Contact@remote.example', contact: 'A Contact' },
    'sato@xn--r8jz45g.jp': { action: 'deliver', mailbox: 'sato@xn--r8jz45g.jp' },
  },
  connectors: [
    connector('Wildcard', ['*'], false, toSmart),
    connector('Shared', ['example.com', 'xn--r8jz45g.jp'], true, toNext),
    connector('Partner', ['partner.example'], true, toSmart),
    connector('No relay', ['private.example'], false, toNext),
  ],
});
const validating = table({ domains: { 'example.com': domain({ chain: 'c', rejectUnknown: true }) }, knownRecipients: ['carol@example.com'], connectors: [connector('Shared', ['example.com'], true, toNext)] });
const unresolvedTo = table({ domains: { 'example.com': domain({ authority: 'authoritative' }) }, unresolved: hop('gw', '10.0.0.1') });
const lister = table({ domains: { 'example.com': domain({ authority: 'authoritative', policy: 'UNIX' }) } });
const nonLister = table({ listsRecipients: false, domains: { 'example.com': domain({ authority: 'authoritative', policy: 'UNIX' }) } });
const noConnector = table({ domains: { 'example.com': domain() } });
const wildcardOnly = table({ domains: { 'example.com': domain() }, connectors: [connector('Everything', ['*'], true, toSmart)] });

type Row = [name: string, t: RoutingTable, recipient: string, origin: Origin, received: number, expected: Partial<Decision> & Record<string, unknown>];
const rows: Row[] = [
  // each kind's own status: Exchange "554 5.4.14 Hop count exceeded", Postfix "554 5.4.0 too many hops", the relay 5.4.6
  ['1. hop limit reached (Exchange)', shared, 'alice@example.com', 'peer', 20, { kind: 'loop', code: 554, status: '5.4.14' }],
  ['1. hop limit reached (Postfix)', { ...shared, kind: 'postfix', hopLimit: 50 }, 'alice@example.com', 'peer', 50, { kind: 'loop', code: 554, status: '5.4.0' }],
  ['1. hop limit reached (relay)', { ...shared, kind: 'relay', hopLimit: 50 }, 'alice@example.com', 'peer', 50, { kind: 'loop', code: 554, status: '5.4.6' }],
  ['1. one below the hop limit still routes', shared, 'alice@example.com', 'peer', 19, { kind: 'deliver' }],
  ['2. no @', shared, 'alice', 'internet', 0, { kind: 'refuse', code: 501, status: '5.1.3' }],
  ['2. address literal', shared, 'user@[192.0.2.1]', 'internet', 0, { kind: 'refuse', code: 501, status: '5.1.3' }],
  ['2. invalid domain', shared, 'user@exa mple.com', 'internet', 0, { kind: 'refuse', code: 501, status: '5.1.3' }],
  ['2. empty domain', shared, 'user@', 'internet', 0, { kind: 'refuse', code: 501, status: '5.1.3' }],
  ['2. "@" in an unquoted local part', shared, 'bad@@example.com', 'internet', 0, { kind: 'refuse', code: 501, status: '5.1.3' }],
  ['2. "@" in a quoted local part is an address of its domain', lister, '"alice@x"@example.com', 'internet', 0, { kind: 'refuse', code: 550, status: '5.1.1' }],
  ['3. mailbox', shared, 'alice@example.com', 'internet', 0, { kind: 'deliver', mailbox: 'alice@example.com' }],
  ['3. mailbox, case-insensitive', shared, 'ALICE@Example.COM', 'internet', 0, { kind: 'deliver', mailbox: 'alice@example.com' }],
  ['3. alias', shared, 'al@example.local', 'internet', 0, { kind: 'deliver', mailbox: 'alice@example.com' }],
  ['3. contact secondary -> targetAddress', shared, 'contact@example.com', 'internet', 0, { kind: 'rewrite', to: 'Contact@remote.example' }],
  ['3. IDN mailbox by U-label', shared, 'sato@例え.jp', 'internet', 0, { kind: 'deliver', mailbox: 'sato@xn--r8jz45g.jp' }],
  ['3. IDN mailbox by A-label', shared, 'sato@XN--R8JZ45G.jp', 'internet', 0, { kind: 'deliver', mailbox: 'sato@xn--r8jz45g.jp' }],
  ['4a. gateway validates: unknown refused', validating, 'nobody@example.com', 'internet', 0, { kind: 'refuse', code: 550, status: '5.1.1' }],
  ['4a. gateway validates: known recipient of the chain goes on', validating, 'carol@example.com', 'internet', 0, { kind: 'forward', nextHop: toNext }],
  ['4b. forwardUnresolvedTo wins over authority', unresolvedTo, 'nobody@example.com', 'peer', 1, { kind: 'forward', nextHop: hop('gw', '10.0.0.1') }],
  ['4c. authoritative and lists recipients: 5.1.1', lister, 'nobody@example.com', 'peer', 1, { kind: 'refuse', code: 550, status: '5.1.1' }],
  ['4c. authoritative without a list: assumed delivered', nonLister, 'anyone@example.com', 'peer', 1, { kind: 'deliver', mailbox: 'anyone@example.com' }],
  ['4c. authoritative private space', shared, 'nobody@example.local', 'internet', 0, { kind: 'refuse', code: 550, status: '5.1.1' }],
  ['4d. internal relay: specific connector before "*"', shared, 'nobody@example.com', 'internet', 0, { kind: 'forward', nextHop: toNext }],
  ['4d. internal relay: "*" when nothing specific', wildcardOnly, 'nobody@example.com', 'internet', 0, { kind: 'forward', nextHop: toSmart }],
  ['4d. internal relay without a connector: relay attempt (seed step 4)', noConnector, 'nobody@example.com', 'internet', 0, { kind: 'refuse', code: 554, status: '5.7.1' }],
  ['5. not accepted, connector allows relay', shared, 'someone@partner.example', 'internet', 0, { kind: 'forward', nextHop: toSmart }],
  ['5. not accepted, connector without relay, from the internet', shared, 'someone@private.example', 'internet', 0, { kind: 'refuse', code: 554, status: '5.7.1' }],
  ['5. not accepted, connector without relay, from a peer', shared, 'someone@private.example', 'peer', 1, { kind: 'refuse', code: 554, status: '5.7.1' }],
  ['5. not accepted, connector without relay, local user', shared, 'someone@private.example', 'local', 0, { kind: 'forward', nextHop: toNext }],
  ['5. not accepted, "*" without relay, local user', shared, 'someone@elsewhere.example', 'local', 0, { kind: 'forward', nextHop: toSmart }],
  ['5. not accepted, no connector, local user: MX', { ...lister, kind: 'postfix' }, 'someone@elsewhere.example', 'local', 0, { kind: 'external', host: 'elsewhere.example' }],
  // Exchange 2007+ has no implicit route out: the Unreachable queue, then an NDR
  ['5. not accepted, no send connector, Exchange local user: NDR', lister, 'someone@elsewhere.example', 'local', 0, { kind: 'refuse', code: 550, status: '5.4.4' }],
  ['5. not accepted, no connector, internet: relay denied', lister, 'someone@elsewhere.example', 'internet', 0, { kind: 'refuse', code: 554, status: '5.7.1' }],
  ['5. not accepted, no connector, peer: relay denied', lister, 'someone@elsewhere.example', 'peer', 1, { kind: 'refuse', code: 554, status: '5.7.1' }],
];

describe('resolve(): each branch of the lookup order', () => {
  it.each(rows)('%s', (_name, t, recipient, origin, received, expected) => {
    const d = resolve(t, recipient, { origin, received });
    expect(d).toMatchObject(expected);
    expect(d.reason.text.length).toBeGreaterThan(0);
  });

  it('names the deciding object in the reason', () => {
    expect(resolve(shared, 'nobody@example.com', { origin: 'internet', received: 0 }).reason).toMatchObject({ connector: 'Shared', policy: 'Shared', chain: 'c' });
    expect(resolve(shared, 'contact@example.com', { origin: 'internet', received: 0 }).reason).toMatchObject({ contact: 'A Contact' });
    expect(resolve(lister, 'nobody@example.com', { origin: 'peer', received: 1 }).reason).toMatchObject({ policy: 'UNIX' });
  });
});

// Open-relay tricks (RFC 5321 section 3.6 source routes, the "%" hack, UUCP bang paths,
// quoted "@"): the local part is opaque, only the domain after the last "@" routes.
describe('the local part never re-routes', () => {
  it.each([
    ['user%foreign.test@example.com', 'user%foreign.test@example.com', 'example.com'],
    ['foreign.test!user@example.com', 'foreign.test!user@example.com', 'example.com'],
    ['"user@foreign.test"@example.com', '"user@foreign.test"@example.com', 'example.com'],
    ['User@例え.JP', 'user@xn--r8jz45g.jp', 'xn--r8jz45g.jp'],
    ['user@example.com.', 'user@example.com', 'example.com'],
  ])('%s routes on its domain only', (address, key, dom) => {
    expect(recipientKey(address)).toMatchObject({ key, domain: dom });
  });

  it.each(['user@[1.2.3.4]', 'user@[IPv6:2001:db8::1]', '@example.com', 'user@'])('%s is not routable', (address) => {
    expect(recipientKey(address)).toBeUndefined();
  });

  // Postfix's resolver reads "@", "%" and "!" in the local part as sender-specified routing
  // and reject_unauth_destination refuses it (postconf(5)); checked against real Postfix by
  // test/build/postfix-differential.test.ts. Exchange and the relay refuse the syntax (501).
  it.each([
    ['bad@@example.com', 'postfix', 'internet', { code: 554, status: '5.7.1' }],
    ['bad@@example.com', 'postfix', 'peer', { code: 554, status: '5.7.1' }],
    ['user%foreign.test@example.com', 'postfix', 'internet', { code: 554, status: '5.7.1' }],
    ['foreign.test!user@example.com', 'postfix', 'internet', { code: 554, status: '5.7.1' }],
    ['"user@foreign.test"@example.com', 'postfix', 'internet', { code: 554, status: '5.7.1' }],
    ['bad@@example.com', 'exchange', 'internet', { code: 501, status: '5.1.3' }],
    ['bad@@example.com', 'relay', 'internet', { code: 501, status: '5.1.3' }],
    ['bad@@example.com', 'postfix', 'local', { code: 501, status: '5.1.3' }],
  ] as const)('%s at a %s system from the %s', (address, kind, origin, expected) => {
    const t = table({ kind, domains: { 'example.com': domain({ authority: 'authoritative', policy: 'P' }) }, recipients: { 'user@example.com': { action: 'deliver', mailbox: 'user@example.com' } } });
    expect(resolve(t, address, { origin, received: 0 })).toMatchObject({ kind: 'refuse', ...expected });
  });

  it.each(['user%foreign.test@example.com', 'foreign.test!user@example.com', '"user@foreign.test"@example.com'])('%s is not forwarded by a connector for foreign.test', (address) => {
    const t = table({ domains: { 'example.com': domain({ authority: 'authoritative' }) }, connectors: [connector('Foreign', ['foreign.test'], true, toSmart)] });
    expect(resolve(t, address, { origin: 'internet', received: 0 })).toMatchObject({ kind: 'refuse', status: '5.1.1' });
  });
});
