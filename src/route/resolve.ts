import { domainToASCII } from 'node:url';
import { selectConnector, type NextHop, type RoutingTable } from '../model/routing-table.js';

export { selectConnector } from '../model/routing-table.js';

/** Where the message being resolved came from, as the system sees it. */
export type Origin =
  /** An SMTP client on the internet (anonymous; may not relay). */
  | 'internet'
  /** Another system of the organisation forwarding it (anonymous too: it may not relay either). */
  | 'peer'
  /** Submitted by a user of this system: routed outward by connectors or MX. */
  | 'local';

export interface ResolveContext {
  readonly origin: Origin;
  /** Received: headers the message carries when it reaches this system. */
  readonly received: number;
}

/** Structured reason of a decision: which object decided it. */
export interface Reason {
  /** One human-readable line. */
  readonly text: string;
  readonly policy?: string;
  readonly connector?: string;
  readonly contact?: string;
  readonly chain?: string;
  readonly mailbox?: string;
}

/** What one system does with one recipient. */
export type Decision =
  | { readonly kind: 'deliver'; readonly mailbox: string; readonly reason: Reason }
  | { readonly kind: 'rewrite'; readonly to: string; readonly reason: Reason }
  | { readonly kind: 'forward'; readonly nextHop: NextHop; readonly reason: Reason }
  | { readonly kind: 'external'; readonly host: string; readonly reason: Reason }
  /** Refused at RCPT time (550 5.1.1 unknown, 554 5.7.1 relay denied, 501 5.1.3 syntax). */
  | { readonly kind: 'refuse'; readonly code: number; readonly status: string; readonly reason: Reason }
  /** Stopped as a loop: the Received: count reached the hop limit (554 5.4.6). */
  | { readonly kind: 'loop'; readonly code: number; readonly status: string; readonly reason: Reason };

/** A recipient split for routing; `key` is the comparison form (lower-case local@A-label). */
export interface RecipientKey {
  readonly key: string;
  readonly local: string;
  readonly domain: string;
}

/**
 * Splits and normalises a recipient: case-insensitive, the domain as an A-label. Returns
 * undefined for what cannot be routed (no "@", an address literal, an invalid domain).
 * The local part is opaque: "%", "!" and quoted "@" never re-route (no open relay).
 */
export function recipientKey(address: string): RecipientKey | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  const local = address.slice(0, at);
  let domain = address.slice(at + 1);
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  if (domain.startsWith('[')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[^\x21-\x7e]/.test(domain)) {
    domain = domainToASCII(domain);
    if (!domain) return undefined;
  } else {
    domain = domain.toLowerCase();
    if (domain.includes('xn--') || /[^a-z0-9.-]/.test(domain)) {
      const d = domainToASCII(domain);
      if (!d) return undefined;
      domain = d;
    }
  }
  return { key: `${local.toLowerCase()}@${domain}`, local, domain };
}

const known = new WeakMap<RoutingTable, ReadonlySet<string>>();
function knownSet(table: RoutingTable): ReadonlySet<string> {
  let s = known.get(table);
  if (!s) {
    s = new Set(table.knownRecipients);
    known.set(table, s);
  }
  return s;
}

/**
 * The routing engine: what `table`'s system does with `recipient`. Pure and fast (hash
 * lookups only); the simulator and the embedded relay both call it. Lookup order:
 * hop limit -> the recipient itself (mailbox, alias, contact) -> the accepted domain
 * (RCPT validation, forwardUnresolvedTo, authority, connector) -> connectors for
 * domains it does not accept (relay only where allowRelay) -> MX (local mail only).
 */
export function resolve(table: RoutingTable, recipient: string | RecipientKey, ctx: ResolveContext): Decision {
  if (ctx.received >= table.hopLimit) {
    return { kind: 'loop', code: 554, status: '5.4.6', reason: { text: `${ctx.received} Received: headers reach the hop limit of ${table.hopLimit}` } };
  }
  const r = typeof recipient === 'string' ? recipientKey(recipient) : recipient;
  if (!r) return { kind: 'refuse', code: 501, status: '5.1.3', reason: { text: 'not a routable address (local@domain with a domain name)' } };
  const entry = table.recipients[r.key];
  if (entry) {
    if (entry.action === 'deliver') {
      const text = entry.alias ? `alias of mailbox ${entry.mailbox}` : 'local mailbox';
      return { kind: 'deliver', mailbox: entry.mailbox, reason: { text, mailbox: entry.mailbox } };
    }
    return { kind: 'rewrite', to: entry.to, reason: { text: `contact "${entry.contact}" forwards to its targetAddress ${entry.to}`, contact: entry.contact } };
  }
  const dom = table.domains[r.domain];
  if (dom) {
    const chain = dom.chain !== undefined ? { chain: dom.chain } : {};
    if (dom.rejectUnknown && !knownSet(table).has(r.key)) {
      return { kind: 'refuse', code: 550, status: '5.1.1', reason: { text: `no system of chain "${dom.chain ?? ''}" knows this recipient (rejected at the gateway)`, ...chain } };
    }
    if (table.unresolved) {
      return { kind: 'forward', nextHop: table.unresolved, reason: { text: 'unresolved recipient: forwardUnresolvedTo' } };
    }
    if (dom.authority === 'authoritative') {
      if (!table.listsRecipients) {
        return { kind: 'deliver', mailbox: r.key, reason: { text: `policy "${dom.policy}" is authoritative and the system does not list its recipients: assumed a local mailbox`, policy: dom.policy } };
      }
      return { kind: 'refuse', code: 550, status: '5.1.1', reason: { text: `policy "${dom.policy}" is authoritative for ${r.domain} and there is no such recipient`, policy: dom.policy, ...chain } };
    }
    // seed step 4: the connector must "allow messages to be relayed to these domains";
    // without such a connector the shared space is treated as a relay attempt (5.7.1)
    const c = selectConnector(table, r.domain, ctx.origin !== 'local');
    if (c) return { kind: 'forward', nextHop: c.nextHop, reason: { text: `policy "${dom.policy}" is not authoritative for ${r.domain}: connector "${c.name}"`, connector: c.name, policy: dom.policy, ...chain } };
    const blocked = selectConnector(table, r.domain, false);
    const why = blocked ? `connector "${blocked.name}" does not allow relaying to it` : 'no connector carries it';
    return { kind: 'refuse', code: 554, status: '5.7.1', reason: { text: `policy "${dom.policy}" accepts ${r.domain} without authority but ${why}`, policy: dom.policy } };
  }
  const c = selectConnector(table, r.domain, ctx.origin !== 'local', false);
  if (c) return { kind: 'forward', nextHop: c.nextHop, reason: { text: `connector "${c.name}" carries ${r.domain}`, connector: c.name } };
  if (ctx.origin === 'local') return { kind: 'external', host: r.domain, reason: { text: `no connector for ${r.domain}: MX lookup` } };
  return { kind: 'refuse', code: 554, status: '5.7.1', reason: { text: `relay access denied: ${r.domain} is not accepted here and no connector allows relaying to it` } };
}
