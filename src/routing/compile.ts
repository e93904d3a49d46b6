import type { ChainDecl, HostSpec, Model, SystemDecl } from '../model/model.js';
import { listsByRecipient, mergeSorted, setTableIndex, type AcceptedDomain, type ConnectorEntry, type HopHost, type NextHop, type RecipientEntry, type RoutingTable, type SortedKeys } from './table.js';
import { parseHost } from '../normalize/address.js';
import { resolveUnlisted } from './resolve.js';
import { ExchangeContacts } from './routing-contacts.js';
import { cloudRecipients, cloudRouting, validatesChain } from './cloud-tables.js';

/**
 * Compiles the model into one routing table per system: what it accepts and with what
 * authority (recipient policies, seed steps 1-2), whom it resolves (mailboxes, aliases,
 * contacts), where it sends the rest (connectors, step 4; forwardUnresolvedTo, step 3).
 * Invalid addresses and references are left out: the lint rules report them.
 *
 * @public
 */
export function compileRoutingTables(model: Model): Map<string, RoutingTable> {
  // Lint, each compile target and the simulator all ask for the same model's tables: compile
  // them once per model (100k recipients take a noticeable share of a build). The model is
  // immutable; callers get their own Map over the shared (readonly) tables.
  let tables = compiled.get(model);
  if (!tables) {
    const made = new Map<string, RoutingTable>();
    const own = new Map<string, Map<string, RecipientEntry>>();
    for (const s of model.systems.values()) own.set(s.name, ownRecipients(model, s));
    const byDomain = new Map<string, Map<string, string[]>>();
    const sorted = [...model.systems.values()].sort((a, b) => cmp(a.name, b.name));
    // each table's recipient keys, sorted once when first asked for (routes.json, the
    // Postfix maps, and the reverse path of the other tables: sortedHosted)
    const sortedRecipients = new Map<string, () => readonly string[]>();
    for (const s of sorted) {
      made.set(s.name, table(model, s, own, byDomain, sorted, sortedRecipients));
    }
    compiled.set(model, (tables = made));
  }
  return new Map(tables);
}

const compiled = new WeakMap<Model, ReadonlyMap<string, RoutingTable>>();

/** A system's own recipient keys grouped by domain (the part after the last "@"), computed once. */
function keysByDomain(byDomain: Map<string, Map<string, string[]>>, own: Map<string, Map<string, RecipientEntry>>, system: string): Map<string, string[]> {
  let m = byDomain.get(system);
  if (!m) {
    m = new Map();
    for (const key of own.get(system)?.keys() ?? []) {
      const d = key.slice(key.lastIndexOf('@') + 1);
      const list = m.get(d);
      if (list) list.push(key);
      else m.set(d, [key]);
    }
    byDomain.set(system, m);
  }
  return m;
}

/** Whether a chain rejects unknown recipients at its first system (explicit, or all systems list theirs). */
export function chainRejectsUnknown(model: Model, chain: ChainDecl): boolean {
  if (chain.rejectUnknownAtGateway !== undefined) return chain.rejectUnknownAtGateway;
  return chain.order.every((n) => model.systems.get(n)?.listsRecipients === true);
}

/** A host spec as a next-hop host. */
export function hopHost(h: HostSpec, defaultPort: number): HopHost {
  return { host: h.host, port: h.port ?? defaultPort, mx: !h.bracketed && !h.isIp, display: h.raw };
}

function ownRecipients(model: Model, s: SystemDecl): Map<string, RecipientEntry> {
  const out = new Map<string, RecipientEntry>();
  for (const m of s.mailboxes) {
    if (!m.address.key) continue;
    if (!out.has(m.address.key)) out.set(m.address.key, { action: 'deliver', mailbox: m.address.key });
    for (const a of m.aliases) {
      if (a.address.key && !out.has(a.address.key)) out.set(a.address.key, { action: 'deliver', mailbox: m.address.key, alias: true });
    }
  }
  for (const c of model.contacts) {
    if (c.system !== s.name || !c.targetAddress.key) continue;
    for (const p of c.proxyAddresses) {
      // a proxy equal to the target is the primary (SMTP:), not an address that resolves here
      if (!p.address.key || p.address.key === c.targetAddress.key || out.has(p.address.key)) continue;
      out.set(p.address.key, { action: 'rewrite', to: c.targetAddress.display, contact: c.cn });
    }
  }
  cloudRecipients(s, out);
  return out;
}

/**
 * Whether the system at `at` of the name-sorted systems hosts `key`, one of its own keys:
 * the hosting system is the first by name with its mailbox or alias, else the first with a
 * contact for it (lint reports duplicates). Asked only for the keys of the reverse path,
 * looked up in the systems' own maps (`maps`, in name order: no lookup by name per key):
 * cheaper than a map of every key of the organisation.
 */
function hosts(maps: readonly (ReadonlyMap<string, RecipientEntry> | undefined)[], at: number, key: string): boolean {
  const e = maps[at]?.get(key);
  if (!e) return false;
  // a system before it that delivers it, or (a contact here) any system before it
  for (let i = 0; i < at; i++) {
    const x = maps[i]?.get(key);
    if (x && (e.action !== 'deliver' || x.action === 'deliver')) return false;
  }
  if (e.action === 'deliver') return true;
  // a contact here: hosted here unless a system after it delivers it
  for (let i = at + 1; i < maps.length; i++) if (maps[i]?.get(key)?.action === 'deliver') return false;
  return true;
}

/** Kinds whose artifacts route a single recipient to a peer: Postfix (transport_maps) and the relay (routes.json). */
const ROUTES_RECIPIENTS: ReadonlySet<string> = new Set(['postfix', 'relay']);

/**
 * The reverse path of one table: for each domain it accepts whose route ends at this system
 * (resolve() without the recipient: 5.1.1, 5.7.1 or an assumed local mailbox, from a peer or
 * submitted here), the recipients that other systems host in it, each to its hosting
 * system's next hop (`hosted`; the hop names the system), or, at Exchange, to a generated
 * mail contact (`contacts`).
 */
function reversePath(model: Model, t: RoutingTable, own: Map<string, Map<string, RecipientEntry>>, byDomain: Map<string, Map<string, string[]>>, sorted: readonly SystemDecl[], hosted: Map<string, NextHop>): { peers: Map<string, NextHop>; contacts: Map<string, RecipientEntry> } {
  const peers = new Map<string, NextHop>();
  const contacts = new Map<string, RecipientEntry>();
  const perRecipient = ROUTES_RECIPIENTS.has(t.kind);
  // Exchange: a mail contact per recipient, to the hosting system's routing domain
  const exchange = t.kind === 'exchange' ? new ExchangeContacts(t, own, (sys, d) => keysByDomain(byDomain, own, sys).get(d) ?? []) : undefined;
  if (!perRecipient && !exchange) return { peers, contacts };
  const mine = own.get(t.system);
  // the systems whose recipients can be reached here at all (at Exchange: through a routing domain)
  const others = [...model.systems.values()].filter((o) => o.name !== t.system && (!exchange || exchange.reaches(o)));
  if (others.length === 0) return { peers, contacts };
  const maps = sorted.map((s) => own.get(s.name));
  for (const d of Object.keys(t.domains)) {
    const probe = { key: '', local: '', domain: d };
    if (resolveUnlisted(t, probe, 'peer').kind === 'forward' && resolveUnlisted(t, probe, 'local').kind === 'forward') continue;
    for (const other of others) {
      const at = sorted.indexOf(other);
      let hop: NextHop | undefined;
      for (const key of keysByDomain(byDomain, own, other.name).get(d) ?? []) {
        if (mine?.has(key) || !hosts(maps, at, key)) continue;
        if (exchange) {
          const e = exchange.entry(other, key);
          if (e) contacts.set(key, e);
          continue;
        }
        if (!hop) {
          hop = peers.get(other.name);
          if (!hop) peers.set(other.name, (hop = peerHop(other)));
        }
        hosted.set(key, hop);
      }
    }
  }
  return { peers, contacts };
}

function table(model: Model, s: SystemDecl, own: Map<string, Map<string, RecipientEntry>>, byDomain: Map<string, Map<string, string[]>>, systems: readonly SystemDecl[], sortedRecipients: Map<string, () => readonly string[]>): RoutingTable {
  const domains: Record<string, AcceptedDomain> = {};
  const policies = model.policies.filter((p) => p.system === s.name);
  const known = new Set<string>();
  const candidates = new Map<string, { authoritative: boolean; policy: string }>();
  for (const p of policies) {
    for (const a of p.addresses) {
      const d = a.domain.ascii;
      if (!d) continue;
      const cur = candidates.get(d);
      // any authoritative address wins: Exchange treats the space as authoritative
      if (!cur || (!cur.authoritative && a.authoritative)) candidates.set(d, { authoritative: a.authoritative, policy: p.name });
    }
  }
  for (const [d, c] of [...candidates].sort(([a], [b]) => cmp(a, b))) {
    const chain = model.chains.find((ch) => ch.order.includes(s.name) && ch.domains.some((x) => x.domain.ascii === d));
    // a cloud service knows its own directory only: it cannot reject the chain's other unknown
    // recipients; Exchange cannot reject unknown recipients of an InternalRelay domain at RCPT:
    // the Recipient Filter agent looks recipients up for authoritative domains only
    // (docs/exchange.md, "Recipient validation"); it accepts them, the last system of the
    // chain bounces them, and backscatter-risk says so
    const validates = validatesChain(s) && (s.kind !== 'exchange' || c.authoritative);
    const rejectUnknown = validates && chain !== undefined && chain.order[0] === s.name && chainRejectsUnknown(model, chain);
    if (rejectUnknown && chain) {
      for (const other of chain.order) {
        if (other === s.name) continue;
        // the keys whose domain is d (was: every key of the system tested with endsWith, once per domain)
        for (const key of keysByDomain(byDomain, own, other).get(d) ?? []) known.add(key);
      }
    }
    domains[d] = {
      authority: c.authoritative ? 'authoritative' : 'internal-relay',
      policy: c.policy,
      ...(chain ? { chain: chain.name } : {}),
      rejectUnknown,
      remote: model.domains.get(d)?.remote ?? false,
    };
  }
  // Exchange's table also gets the mail contacts of the reverse path (below): its own copy,
  // made only where contacts can be added (another system has a routing domain): resolve()
  // keeps the map it is given, so the copy is decided before the table index is set
  const ownMap = own.get(s.name) ?? new Map<string, RecipientEntry>();
  const mine = s.kind === 'exchange' && ExchangeContacts.possible(model, s) ? new Map(ownMap) : ownMap;
  // The sorted JSON forms (routes.json) are made when something reads them: routing looks
  // recipients up in the maps (tableIndex), and sorting 100,000 keys into an object
  // is a good part of compiling a table that only lint or route will use.
  let recipients: Record<string, RecipientEntry> | undefined;
  // sorted once for every reader (routes.json and the Postfix maps): sorting 400,000 keys
  // is the largest single step of a build at that size
  let sorted: SortedKeys | undefined;
  // sort() without a comparator orders strings by UTF-16 code units, as cmp() does, and is
  // faster than sorting through a comparator
  // the reverse path is filled in once the table exists (it asks resolve() about domains)
  const hosted = new Map<string, NextHop>();
  let recipientKeys: readonly string[] | undefined;
  const sortedMine = (): readonly string[] => (recipientKeys ??= [...mine.keys()].sort());
  sortedRecipients.set(s.name, sortedMine);
  // the recipients apart: two tables may each host the other's recipients (no cycle of sortedKeys)
  const sortedKeys = (): SortedKeys => (sorted ??= { recipients: sortedMine(), known: [...known].sort(), hosted: sortedHosted(hosted, sortedRecipients) });
  const connectors: ConnectorEntry[] = [];
  for (const c of model.connectors) {
    if (!c.systems.includes(s.name)) continue;
    const hop = connectorHop(model, c.to, c.smartHosts);
    if (!hop) continue;
    const spaces = c.addressSpaces.map((a) => (a.domain === '*' ? '*' : a.domain.ascii)).filter(Boolean);
    if (spaces.length === 0) continue;
    connectors.push({ name: c.name, addressSpaces: spaces, allowRelay: c.allowRelay, nextHop: hop });
  }
  // by name: selectConnector() takes the first connector that names the domain itself, else
  // the first "*" (Exchange picks the most specific address space, then the lowest cost, and
  // we have no cost; a connector that also lists "*" still names its other domains exactly)
  connectors.sort((a, b) => cmp(a.name, b.name));

  const compiled: RoutingTable = {
    version: 1,
    system: s.name,
    kind: s.kind,
    host: s.host.host,
    port: s.host.port ?? s.port,
    mx: !s.host.bracketed && !s.host.isIp,
    gateway: s.gateway,
    hopLimit: s.hopLimit,
    listsRecipients: s.listsRecipients,
    domains,
    get recipients() {
      return (recipients ??= sortedRecord(mine, sortedKeys().recipients));
    },
    get knownRecipients() {
      return sortedKeys().known;
    },
    connectors,
    // Google split delivery routes unrecognised recipients on, like forwardUnresolvedTo
    unresolved: unresolvedOf(model, s),
  };
  const cloud = cloudRouting(model, s, domains);
  if (cloud) Object.defineProperty(compiled, 'cloud', { enumerable: true, value: cloud });
  // the domains of its own recipients that no policy accepts (resolve(): 550 5.1.1 there, not 5.7.1)
  const listed = listsByRecipient(s.kind) ? new Set([...keysByDomain(byDomain, own, s.name).keys()].filter((d) => !Object.hasOwn(domains, d))) : new Set<string>();
  setTableIndex(compiled, { recipients: mine, known, hosted, listed, sortedKeys });
  const reverse = reversePath(model, compiled, own, byDomain, systems, hosted);
  for (const [k, v] of reverse.contacts) mine.set(k, v);
  if (hosted.size > 0) {
    // in routes.json after `unresolved`, and only where there is a reverse path (the tables
    // of organisations without one stay as they were)
    let record: Record<string, string> | undefined;
    Object.defineProperty(compiled, 'hosted', { enumerable: true, get: () => (record ??= hostedRecord(hosted, sortedKeys().hosted)) });
    const peers = Object.fromEntries([...reverse.peers].sort(([a], [b]) => cmp(a, b)));
    Object.defineProperty(compiled, 'peers', { enumerable: true, value: peers });
  }
  return compiled;
}

/** The entries of a map as an object with the keys in the given (sorted) order (recipient keys: each has an "@"). */
function sortedRecord<T>(map: ReadonlyMap<string, T>, keys: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of keys) out[k] = map.get(k) as T;
  return out;
}

/**
 * The keys of `hosted`, sorted: each peer's recipients, which its own table sorts once for
 * its routes.json anyway, taken where they are hosted by that peer and merged (disjoint
 * lists), instead of a second sort of tens of thousands of keys.
 */
function sortedHosted(hosted: ReadonlyMap<string, NextHop>, sortedRecipients: ReadonlyMap<string, () => readonly string[]>): string[] {
  const peers = new Set<string>();
  for (const hop of hosted.values()) peers.add(hop.system ?? '');
  let out: string[] = [];
  for (const name of peers) {
    const theirs = sortedRecipients.get(name);
    // every hop of the reverse path names a system of the file (peerHop): this is a guard
    if (!theirs) return [...hosted.keys()].sort();
    const keys = theirs().filter((k) => hosted.get(k)?.system === name);
    out = out.length === 0 ? keys : mergeSorted(out, keys);
  }
  return out;
}

/** `hosted` as routes.json lists it: each key (sorted) to the system its next hop reaches. */
function hostedRecord(hosted: ReadonlyMap<string, NextHop>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = hosted.get(k)?.system ?? '';
  return out;
}

function systemHop(s: SystemDecl): NextHop {
  return { system: s.name, hosts: [hopHost(s.host, s.port)] };
}

/**
 * The next hop of the reverse path: the hosting system's host in brackets, no MX lookup
 * (transport(5) "[host]": the system itself, not the domain's MX, which is the gateway).
 */
function peerHop(s: SystemDecl): NextHop {
  const h = hopHost(s.host, s.port);
  if (!h.mx) return { system: s.name, hosts: [h] };
  const port = s.host.port !== undefined ? `:${s.host.port}` : '';
  return { system: s.name, hosts: [{ ...h, mx: false, display: `[${h.host}]${port}` }] };
}

/** The system of the file a host reaches (same host, same port), if any. */
export function systemAt(model: Model, host: HopHost): SystemDecl | undefined {
  for (const s of model.systems.values()) {
    if (s.host.host === host.host && (s.host.port ?? s.port) === host.port) return s;
  }
  return undefined;
}

function connectorHop(model: Model, to: string | undefined, smartHosts: readonly HostSpec[]): NextHop | undefined {
  if (to !== undefined) {
    const target = model.systems.get(to);
    return target ? systemHop(target) : undefined;
  }
  const hosts = smartHosts.filter((h) => !h.error).map((h) => hopHost(h, 25));
  if (hosts.length === 0) return undefined;
  const first = hosts[0];
  const sys = first ? systemAt(model, first) : undefined;
  return { ...(sys ? { system: sys.name } : {}), hosts };
}

function unresolvedOf(model: Model, s: SystemDecl): NextHop | null {
  const to = s.forwardUnresolvedTo ?? s.googleWorkspace?.splitDelivery?.to;
  return to ? unresolvedHop(model, to) : null;
}

function unresolvedHop(model: Model, value: string): NextHop | null {
  const sys = model.systems.get(value);
  if (sys) return systemHop(sys);
  const h = parseHost(value);
  if (h.error) return null;
  const hop = hopHost(h, 25);
  const at = systemAt(model, hop);
  return { ...(at ? { system: at.name } : {}), hosts: [hop] };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
