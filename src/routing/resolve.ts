import { domainToASCII } from 'node:url';
import type { SystemKind } from '../model/model.js';
import { comparisonKey } from '../normalize/address.js';
import { isFolded } from '../normalize/casefold.js';
import { tableIndex, selectConnector, type AcceptedDomain, type CloudRouting, type NextHop, type RecipientEntry, type RoutingTable } from './table.js';

export { selectConnector } from './table.js';

/**
 * Where the message being resolved came from, as the system sees it.
 *
 * @public
 */
export type Origin =
  /** An SMTP client on the internet (anonymous; may not relay). */
  | 'internet'
  /** Another system of the organisation forwarding it (anonymous too: it may not relay either). */
  | 'peer'
  /** Submitted by a user of this system: routed outward by connectors or MX. */
  | 'local';

/** @public */
export interface ResolveContext {
  readonly origin: Origin;
  /** Received: headers the message carries when it reaches this system. */
  readonly received: number;
}

/**
 * Structured reason of a decision: which object decided it.
 *
 * @public
 */
export interface Reason {
  /** One human-readable line. */
  readonly text: string;
  readonly policy?: string;
  readonly connector?: string;
  readonly contact?: string;
  readonly chain?: string;
  readonly mailbox?: string;
  /** The system of the organisation that hosts the recipient (the reverse path). */
  readonly hostedBy?: string;
}

/**
 * What one system does with one recipient.
 *
 * @public
 */
export type Decision =
  | { readonly kind: 'deliver'; readonly mailbox: string; readonly reason: Reason }
  | { readonly kind: 'rewrite'; readonly to: string; readonly reason: Reason }
  | { readonly kind: 'forward'; readonly nextHop: NextHop; readonly reason: Reason }
  | { readonly kind: 'external'; readonly host: string; readonly reason: Reason }
  /** Refused at RCPT time (550 5.1.1 unknown, 554 5.7.1 relay denied, 501 5.1.3 syntax). */
  | { readonly kind: 'refuse'; readonly code: number; readonly status: string; readonly reason: Reason }
  /** Stopped as a loop: the Received: count reached the hop limit (554 5.4.6). */
  | { readonly kind: 'loop'; readonly code: number; readonly status: string; readonly reason: Reason };

/**
 * A recipient split for routing; `key` is the comparison form (local@A-label, case-folded
 * as Postfix folds table keys: src/normalize/casefold.ts).
 *
 * @public
 */
export interface RecipientKey {
  readonly key: string;
  readonly local: string;
  readonly domain: string;
}

/**
 * Splits and normalises a recipient: case-insensitive, the domain as an A-label. Returns
 * undefined for what cannot be routed (no "@", an address literal, an invalid domain).
 * The local part is opaque: "%", "!" and quoted "@" never re-route (no open relay).
 *
 * @public
 */
export function recipientKey(address: string): RecipientKey | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  const raw = address.slice(at + 1);
  // a few domains serve many recipients (100,000 addresses in 50 domains): each is
  // normalised once (bounded: the relay sees whatever domains clients send)
  let domain = domainCache.get(raw);
  if (domain === undefined) {
    domain = asciiDomain(raw);
    // a name is at most 255 octets (RFC 1035 section 2.3.4): longer input is not kept
    if (raw.length <= 255) {
      if (domainCache.size >= DOMAIN_CACHE_MAX) domainCache.clear();
      domainCache.set(raw, domain);
    }
  }
  if (domain === null) return undefined;
  const local = address.slice(0, at);
  // an "@" in an unquoted local part (`bad@@example.com`) is a syntax error, not an address
  // with an odd local part (RFC 5321 section 4.1.2 allows "@" only in a Quoted-string): 501
  // 5.1.3, as the relay's smtp-server and Exchange answer it (Postfix: 554 5.7.1, resolve())
  if (local.includes('@') && !(local.startsWith('"') && local.endsWith('"') && local.length > 1)) return undefined;
  // an address already in comparison form is its own key (no new string to build and hash)
  const plain = domain === raw && isFolded(local);
  return { key: plain ? address : comparisonKey(local, domain), local, domain };
}

/** "@", "%" or "!" in a local part (quotes ignored, as Postfix's resolver reads it): sender-specified routing. */
const SENDER_ROUTE = /[@%!]/;

/** An address whose local part routes (`bad@@example.com`, `u%other.example@example.com`). */
export function senderRouted(recipient: string | RecipientKey): boolean {
  if (typeof recipient !== 'string') return SENDER_ROUTE.test(recipient.local);
  const at = recipient.lastIndexOf('@');
  return at > 0 && at < recipient.length - 1 && SENDER_ROUTE.test(recipient.slice(0, at));
}

const DOMAIN_CACHE_MAX = 10_000;
const domainCache = new Map<string, string | null>();

/** The comparison form of a recipient's domain (A-label, lower case, no final dot), or null. */
function asciiDomain(raw: string): string | null {
  let domain = raw;
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  if (domain.startsWith('[')) return null;
  // eslint-disable-next-line no-control-regex
  if (/[^\x21-\x7e]/.test(domain)) {
    domain = domainToASCII(domain);
    if (!domain) return null;
  } else {
    domain = domain.toLowerCase();
    if (domain.includes('xn--') || /[^a-z0-9.-]/.test(domain)) {
      const d = domainToASCII(domain);
      if (!d) return null;
      domain = d;
    }
  }
  return domain;
}

/** Per table: its recipient maps and the decisions that depend only on the domain or the next hop. */
interface TableCache {
  readonly domains: ReadonlyMap<string, AcceptedDomain>;
  readonly recipients: ReadonlyMap<string, RecipientEntry>;
  readonly known: ReadonlySet<string>;
  readonly hosted: ReadonlyMap<string, NextHop>;
  readonly listed: ReadonlySet<string>;
  /** By origin (0: from a client or peer, 1: submitted locally), then domain. */
  readonly byDomain: readonly [Map<string, Decision>, Map<string, Decision>];
  /** The reverse path's decision by next hop (one per peer system, shared by its recipients). */
  readonly byHop: Map<NextHop, Decision>;
}
const caches = new WeakMap<RoutingTable, TableCache>();
function cacheOf(table: RoutingTable): TableCache {
  let c = caches.get(table);
  if (!c) {
    const index = tableIndex(table);
    c = { domains: index.domains, recipients: index.recipients, known: index.known, hosted: index.hosted, listed: index.listed, byDomain: [new Map(), new Map()], byHop: new Map() };
    caches.set(table, c);
  }
  return c;
}

/**
 * The enhanced status a system of `kind` bounces a message with when the hop limit stops
 * it: Postfix "554 5.4.0 too many hops" (src/global/cleanup_strerror.c, the table Postfix
 * 3.7's libpostfix-global carries), Exchange Server 2013+ and Exchange Online "554 5.4.14
 * Hop count exceeded - possible mail loop", the embedded relay 5.4.6 (routing loop
 * detected, RFC 3463), and 5.4.6 for the kinds whose status is not known.
 */
export function hopStatus(kind: SystemKind): string {
  if (kind === 'postfix') return '5.4.0';
  if (kind === 'exchange' || kind === 'exchange-online') return '5.4.14';
  return '5.4.6';
}

/**
 * The routing engine: what `table`'s system does with `recipient`. Pure and fast (hash
 * lookups only); the simulator and the embedded relay both call it. Lookup order:
 * hop limit -> the recipient itself (mailbox, alias, contact) -> a recipient hosted by
 * another system of the organisation (the reverse path) -> the accepted domain
 * (RCPT validation, forwardUnresolvedTo, authority, connector) -> connectors for
 * domains it does not accept (relay only where allowRelay) -> MX (local mail only).
 *
 * @public
 */
export function resolve(table: RoutingTable, recipient: string | RecipientKey, ctx: ResolveContext): Decision {
  if (ctx.received >= table.hopLimit) {
    return { kind: 'loop', code: 554, status: hopStatus(table.kind), reason: { text: `${ctx.received} Received: headers reach the hop limit of ${table.hopLimit}` } };
  }
  const r = typeof recipient === 'string' ? recipientKey(recipient) : recipient;
  if (table.kind === 'postfix' && ctx.origin !== 'local' && senderRouted(recipient)) {
    // Postfix's resolver looks inside the local part (resolve_dequoted = yes): "@", "%" or
    // "!" there is sender-specified routing, which reject_unauth_destination refuses before
    // any table lookup (postconf(5) reject_unauth_destination, resolve_dequoted)
    return { kind: 'refuse', code: 554, status: '5.7.1', reason: { text: 'relay access denied: sender-specified routing ("@", "%" or "!" in the local part)' } };
  }
  if (!r) return { kind: 'refuse', code: 501, status: '5.1.3', reason: { text: 'not a routable address (local@domain with a domain name)' } };
  const cache = cacheOf(table);
  const entry = cache.recipients.get(r.key);
  if (entry) {
    // Exchange checks relay on the receive connector before it resolves the recipient: an
    // anonymous client may send only to an accepted domain (550 5.7.54 "Unable to relay"),
    // whatever proxy address a recipient has; setup.ps1 accepts a domain without authority
    // only where a connector relays it (accepted-domains.ts, test/build/exchange-oracle.ts)
    if (table.kind === 'exchange' && ctx.origin !== 'local' && cache.domains.get(r.domain)?.authority !== 'authoritative') {
      const relay = resolveUnlisted(table, r, ctx.origin);
      if (relay.kind === 'refuse') return relay;
    }
    if (entry.action === 'deliver') return deliverEntry(table, entry.mailbox, entry.alias === true);
    return rewriteEntry(entry.to, entry.contact);
  }
  if (table.cloud) {
    const d = cloudRecipient(table, table.cloud, r);
    if (d) return d;
  }
  // the reverse path: a recipient of another system of the organisation, in a domain whose
  // route ends here (docs/routing.md step 3b; Postfix: a transport_maps entry per recipient)
  const hosted = cache.hosted.get(r.key);
  if (hosted) {
    // the same (immutable) decision for every recipient of one peer: no text built per recipient
    let d = cache.byHop.get(hosted);
    if (!d) {
      d = { kind: 'forward', nextHop: hosted, reason: { text: `recipient hosted by system "${hosted.system ?? ''}" of the organisation`, ...(hosted.system !== undefined ? { hostedBy: hosted.system } : {}) } };
      cache.byHop.set(hosted, d);
    }
    return d;
  }
  const dom = cache.domains.get(r.domain);
  // RCPT validation is smtpd's: mail submitted locally (sendmail, pickup) is never checked
  // against relay_recipient_maps (postconf(5)) and follows the domain's route
  if (dom && ctx.origin !== 'local') {
    if (dom.rejectUnknown && !cache.known.has(r.key)) {
      return { kind: 'refuse', code: 550, status: '5.1.1', reason: { text: `no system of chain "${dom.chain ?? ''}" knows this recipient (rejected at the gateway)`, ...(dom.chain !== undefined ? { chain: dom.chain } : {}) } };
    }
  }
  return resolveUnlisted(table, r, ctx.origin);
}

/** resolve()'s decision for a mailbox or alias the table lists (also the route memo's, for its last hop). */
export function deliverEntry(table: RoutingTable, mailbox: string, alias: boolean): Decision {
  const text = alias ? `alias of mailbox ${mailbox}` : 'local mailbox';
  // Google dual delivery: the copy is a second delivery the route does not follow
  const dual = table.cloud?.dualDelivery !== undefined ? `; dual delivery copies it to ${table.cloud.dualDelivery}` : '';
  return { kind: 'deliver', mailbox, reason: { text: text + dual, mailbox } };
}

/** resolve()'s decision for a contact the table lists (also the route memo's). */
export function rewriteEntry(to: string, contact: string): Decision {
  return { kind: 'rewrite', to, reason: { text: `contact "${contact}" forwards to its targetAddress ${to}`, contact } };
}

/** {@link keyAnswer}: the key is a contact of the table (rewrite to its target). */
export const ANSWER_REWRITE = -2;
/** {@link keyAnswer}: the key is the table's mailbox (deliver). */
export const ANSWER_MAILBOX = 2;
/** {@link keyAnswer}: the key is an alias of a mailbox of the table (deliver). */
export const ANSWER_ALIAS = 3;

/**
 * Everything {@link resolve} reads of the recipient's key at `table`, as a number (the
 * route memo's class: src/routing/route-memo.ts): 0 no entry, 1 a recipient some system of
 * the chain knows (`known`), ANSWER_MAILBOX / ANSWER_ALIAS the table's own mailbox or alias,
 * 4 + n the n-th system hosting it (the reverse path), ANSWER_REWRITE a contact (the
 * decision then depends on its target and name); -1 where the decision depends on the key
 * in another way (a cloud table's per-user lists). Kept next to resolve(): a lookup added
 * there must be added here. Apart from these answers resolve() reads only the domain, the
 * origin, the Received: count and, for a delivery, the mailbox (entry.mailbox, or the key
 * where a policy assumes a mailbox). `known` is read only where the domain rejects unknown
 * recipients, as resolve() reads it (elsewhere the answer is 0 either way).
 *
 * @public
 */
export function keyAnswer(table: RoutingTable, r: Pick<RecipientKey, 'key' | 'domain'>): number {
  return table.cloud ? -1 : answerIn(table, cacheOf(table), r, undefined);
}

/**
 * {@link keyAnswer} for one table asked for many keys (the route memo, issue 19): the
 * table's maps are found once, not per key, and the recipient entry an answer was read from
 * is kept in {@link entry}, so that a delivery's mailbox costs no second lookup.
 *
 * @public
 */
export class KeyAnswers {
  readonly table: RoutingTable;
  readonly #cache: TableCache;
  readonly #cloud: boolean;
  /** The table's mailbox, alias or contact entry behind the last answer, or undefined. */
  entry: RecipientEntry | undefined = undefined;

  constructor(table: RoutingTable) {
    this.table = table;
    this.#cache = cacheOf(table);
    this.#cloud = Boolean(table.cloud);
  }

  /** keyAnswer(table, r). */
  answer(r: Pick<RecipientKey, 'key' | 'domain'>): number {
    if (this.#cloud) {
      this.entry = undefined;
      return -1;
    }
    return answerIn(this.table, this.#cache, r, this);
  }
}

function answerIn(table: RoutingTable, cache: TableCache, r: Pick<RecipientKey, 'key' | 'domain'>, found: { entry: RecipientEntry | undefined } | undefined): number {
  const entry = cache.recipients.get(r.key);
  if (found) found.entry = entry;
  if (entry) return entry.action === 'deliver' ? (entry.alias ? ANSWER_ALIAS : ANSWER_MAILBOX) : ANSWER_REWRITE;
  const hosted = cache.hosted.size > 0 ? cache.hosted.get(r.key) : undefined;
  if (hosted) {
    let ids = hostedIds.get(table);
    if (!ids) hostedIds.set(table, (ids = new Map()));
    let id = ids.get(hosted);
    if (id === undefined) ids.set(hosted, (id = ids.size));
    return 4 + id;
  }
  return cache.known.size > 0 && cache.domains.get(r.domain)?.rejectUnknown === true && cache.known.has(r.key) ? 1 : 0;
}
const hostedIds = new WeakMap<RoutingTable, Map<NextHop, number>>();

/**
 * The part of {@link resolve} after RCPT validation: what the system does with a recipient
 * it does not resolve itself (no mailbox, alias or contact), by its domain and the origin.
 * The Postfix target derives its per-domain routes from it.
 *
 * @public
 */
export function resolveUnlisted(table: RoutingTable, r: RecipientKey, origin: Origin): Decision {
  const cache = cacheOf(table);
  const dom = cache.domains.get(r.domain);
  if (dom && dom.authority === 'authoritative' && !table.unresolved && !table.listsRecipients) {
    return { kind: 'deliver', mailbox: r.key, reason: { text: `policy "${dom.policy}" is authoritative and the system does not list its recipients: assumed a local mailbox`, policy: dom.policy } };
  }
  // the rest depends on the domain and the origin only: decided once per table (immutable
  // decisions, shared), not once per recipient; bounded like the domain cache
  const byDomain = cache.byDomain[origin === 'local' ? 1 : 0];
  let d = byDomain.get(r.domain);
  if (d === undefined) {
    if (byDomain.size >= DOMAIN_CACHE_MAX) byDomain.clear();
    d = domainDecision(table, cache, r.domain, origin);
    byDomain.set(r.domain, d);
  }
  return d;
}

/** What `table`'s system does with a recipient of `domain` that it does not resolve itself. */
function domainDecision(table: RoutingTable, cache: TableCache, domain: string, origin: Origin): Decision {
  if (table.kind === 'exchange-online') return exchangeOnlineDecision(table, domain, origin);
  const dom = table.domains[domain];
  if (dom) {
    const chain = dom.chain !== undefined ? { chain: dom.chain } : {};
    if (table.unresolved) {
      const text = table.kind !== 'google-workspace' ? 'unresolved recipient: forwardUnresolvedTo' : table.cloud?.splitAll ? 'split delivery of every recipient (which: all)' : 'split delivery: Gmail does not recognise the recipient';
      return { kind: 'forward', nextHop: table.unresolved, reason: { text } };
    }
    if (dom.authority === 'authoritative') {
      return { kind: 'refuse', code: 550, status: '5.1.1', reason: { text: `policy "${dom.policy}" is authoritative for ${domain} and there is no such recipient`, policy: dom.policy, ...chain } };
    }
    // seed step 4: the connector must "allow messages to be relayed to these domains";
    // without such a connector the shared space is treated as a relay attempt (5.7.1)
    const c = routeFor(table, domain, origin, true);
    if (c) return { kind: 'forward', nextHop: c.nextHop, reason: { text: `policy "${dom.policy}" is not authoritative for ${domain}: connector "${c.name}"`, connector: c.name, policy: dom.policy, ...chain } };
    const blocked = selectConnector(table, domain, false);
    const why = blocked ? `connector "${blocked.name}" does not allow relaying to it` : 'no connector carries it';
    return { kind: 'refuse', code: 554, status: '5.7.1', reason: { text: `policy "${dom.policy}" accepts ${domain} without authority but ${why}`, policy: dom.policy } };
  }
  const c = routeFor(table, domain, origin, false);
  if (c) return { kind: 'forward', nextHop: c.nextHop, reason: { text: `connector "${c.name}" carries ${domain}`, connector: c.name } };
  if (origin === 'local') {
    // Exchange 2007 and later have no implicit route to the internet: mail for a domain no
    // send connector's address space covers goes to the Unreachable queue and is returned
    // with an NDR, 5.4.4 "Unable to route" (RFC 3463; docs/exchange.md, "Send connectors");
    // a "*" connector is the usual route out
    if (table.kind === 'exchange') return { kind: 'refuse', code: 550, status: '5.4.4', reason: { text: `no send connector's address space covers ${domain}: the Unreachable queue, then an NDR` } };
    return { kind: 'external', host: domain, reason: { text: `no connector for ${domain}: MX lookup` } };
  }
  // a domain no policy accepts that holds a recipient of this system: accepted for exactly
  // its listed recipients, the rest is unknown (Postfix: the domain in relay_domains, the
  // recipients in relay_recipient_maps, so 550 5.1.1 and not 554 5.7.1; the relay serves
  // the same table). Exchange has no address outside its accepted domains: relay denied.
  if (cache.listed.has(domain)) {
    return { kind: 'refuse', code: 550, status: '5.1.1', reason: { text: `${domain} is accepted here only for the recipients this system lists, and this is none of them` } };
  }
  return { kind: 'refuse', code: 554, status: '5.7.1', reason: { text: `relay access denied: ${domain} is not accepted here and no connector allows relaying to it` } };
}

/**
 * Google Workspace users that Gmail routing counts as unrecognised (suspended, Gmail off:
 * "routing rules don't apply to users who are in a suspended state or who have Gmail
 * service turned off", support.google.com/a/answer/6297084): split delivery sends them to
 * the secondary server; without it Gmail refuses them. Exchange Online mail users whose
 * ExternalEmailAddress is their own address leave by their domain's outbound connector.
 */
function cloudRecipient(table: RoutingTable, cloud: CloudRouting, r: RecipientKey): Decision | undefined {
  const why = cloud.unrecognised?.[r.key];
  if (why) {
    const what = why === 'suspended' ? 'a suspended user' : 'a user without Gmail';
    if (table.unresolved) return { kind: 'forward', nextHop: table.unresolved, reason: { text: `split delivery: ${what} is unrecognised by Gmail routing` } };
    if (why === 'suspended') return { kind: 'refuse', code: 550, status: '5.2.1', reason: { text: `${what}: the account is disabled` } };
    return { kind: 'refuse', code: 550, status: '5.1.1', reason: { text: `${what} has no mailbox and no split delivery routes it on` } };
  }
  if (cloud.routeOut?.includes(r.key)) return exchangeOnlineOut(table, r.domain, `mail user ${r.key} (ExternalEmailAddress is its own address)`);
  return undefined;
}

/**
 * Exchange Online (docs/exchange-online.md): an Authoritative domain has Directory-Based
 * Edge Blocking, "550 5.4.1 Recipient address rejected: Access denied" for a recipient the
 * tenant does not know (a cloud user gets 550 5.1.10 RecipientNotFound); an InternalRelay
 * domain sends it on by the outbound connector for the domain. A domain it does not accept
 * is relayed only for its own users and the senders of an inbound connector (step() makes
 * them 'local'); anyone else gets 550 5.7.64 TenantAttribution; Relay Access Denied.
 */
function exchangeOnlineDecision(table: RoutingTable, domain: string, origin: Origin): Decision {
  const dom = table.domains[domain];
  if (dom?.authority === 'authoritative') {
    if (origin === 'local') return { kind: 'refuse', code: 550, status: '5.1.10', reason: { text: `accepted domain ${domain} is Authoritative and the tenant has no such recipient (RecipientNotFound)`, policy: dom.policy } };
    return { kind: 'refuse', code: 550, status: '5.4.1', reason: { text: `accepted domain ${domain} is Authoritative: Directory-Based Edge Blocking rejects recipients the tenant does not know`, policy: dom.policy } };
  }
  if (dom) return exchangeOnlineOut(table, domain, `accepted domain ${domain} is InternalRelay (no edge blocking)`);
  if (origin !== 'local') return { kind: 'refuse', code: 550, status: '5.7.64', reason: { text: `TenantAttribution; Relay Access Denied: ${domain} is not an accepted domain and the sender came through no inbound connector` } };
  return exchangeOnlineOut(table, domain, `${domain} is not an accepted domain`);
}

/** The outbound connector for a domain, else delivery by its MX (which may be the tenant itself). */
function exchangeOnlineOut(table: RoutingTable, domain: string, why: string): Decision {
  const c = selectConnector(table, domain, false);
  if (c) return { kind: 'forward', nextHop: c.nextHop, reason: { text: `${why}: outbound connector "${c.name}"`, connector: c.name } };
  const mx = table.cloud?.mx?.[domain];
  const host = { host: domain, port: 25, mx: true, display: domain };
  if (mx !== undefined) return { kind: 'forward', nextHop: { system: mx, hosts: [host] }, reason: { text: `${why} and no outbound connector carries it: delivered by the domain's MX` } };
  return { kind: 'external', host: domain, reason: { text: `${why}: no outbound connector for it, MX lookup` } };
}

/**
 * The connector that carries `domain`, when the origin may use one. Anonymous mail may be
 * relayed only where a connector for the domain allows it. On Exchange 2007 and later that
 * right belongs to the domain (an accepted domain, setup.ps1), not to one send connector:
 * the message then takes the connector that Exchange selects for the domain whatever
 * its relay setting (the most specific address space, then by name); elsewhere (Postfix,
 * the relay, Exchange 2003's per-connector check box) the relaying connector carries it.
 */
function routeFor(table: RoutingTable, domain: string, origin: Origin, accepted: boolean): ReturnType<typeof selectConnector> {
  const relayed = selectConnector(table, domain, origin !== 'local', accepted);
  if (!relayed || table.kind !== 'exchange') return relayed;
  return selectConnector(table, domain, false, accepted) ?? relayed;
}
