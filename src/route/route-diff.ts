import { compileRoutingTables } from '../routing/compile.js';
import type { Model } from '../model/model.js';
import { tableIndex, type NextHop, type RecipientEntry, type RoutingTable } from '../routing/table.js';
import { recipientKey } from '../routing/resolve.js';
import { RouteMemo, type RouteClass } from '../routing/route-memo.js';
import type { Outcome, Route } from './simulate.js';

/**
 * What a change to the file does to mail: every probed address whose route differs
 * between two versions of the model (`chainmail plan --base`). Routing is deterministic,
 * so comparing the simulated routes of the same addresses from the same entry points is
 * an exact answer for those addresses; the probes cover every known recipient and one
 * unknown recipient per domain, which is every class of address the tables distinguish.
 */

/**
 * Why a route changed, most alarming first (the order of {@link CHANGE_KINDS}).
 *
 * @public
 */
export type RouteChangeKind =
  /** The route now ends in a loop (5.4.6) or a cycle. */
  | 'loop-added'
  /** A recipient that only the new version knows (mailbox, alias, contact). */
  | 'recipient-added'
  /** A recipient that only the old version knows. */
  | 'recipient-removed'
  /** Delivered (or sent out) before; bounced or refused now. */
  | 'now-failing'
  /** A loop is gone. */
  | 'loop-removed'
  /** Bounced or refused before; delivered (or sent out) now. */
  | 'now-delivered'
  /** Still delivered, but by another system, to another mailbox, or out to another host. */
  | 'delivery-moved'
  /** Still failing, but differently: bounced instead of refused (backscatter), another system or status. */
  | 'failure-changed'
  /** Same outcome, different way there: another next hop, another system on the path. */
  | 'next-hop-changed';

/**
 * Every change kind, in report order.
 *
 * @public
 */
export const CHANGE_KINDS: readonly RouteChangeKind[] = [
  'loop-added',
  'recipient-added',
  'recipient-removed',
  'now-failing',
  'loop-removed',
  'now-delivered',
  'delivery-moved',
  'failure-changed',
  'next-hop-changed',
];

/**
 * One version's route of a probed address, reduced to what a reviewer compares.
 *
 * @public
 */
export interface RouteView {
  readonly outcome: Outcome;
  /** The systems the message passes, in order, then the external host it leaves for. */
  readonly path: readonly string[];
  /** The host of each forward, in order (`[192.168.1.10]:25`): a system that moved shows here. */
  readonly nextHops: readonly string[];
  /** For loops: the systems of the cycle, the repeated one at the end. */
  readonly cycle?: readonly string[];
}

/**
 * An address whose route differs between the two versions.
 *
 * @public
 */
export interface RouteChange {
  readonly kind: RouteChangeKind;
  /** The probed address (comparison form: lower-case local part, A-label domain). */
  readonly recipient: string;
  /** A synthetic address standing for every unknown recipient of its domain. */
  readonly synthetic: boolean;
  /** The entry points with this same change: `internet` or a system (local submission). */
  readonly from: readonly string[];
  readonly before: RouteView;
  readonly after: RouteView;
}

/**
 * An address to route in both versions.
 *
 * @public
 */
export interface Probe {
  readonly address: string;
  /** Stands for the unknown recipients of its domain. */
  readonly synthetic: boolean;
}

/**
 * The result of {@link routeDiff}.
 *
 * @public
 */
export interface RouteDiff {
  readonly changes: readonly RouteChange[];
  /** What was compared: addresses, entry points, routes per version. */
  readonly probed: { readonly addresses: number; readonly from: readonly string[]; readonly routes: number };
  /** Recipients only one version knows (also reported as changes when their route differs). */
  readonly recipients: { readonly added: number; readonly removed: number };
  /** Systems only one version has: their own entry point is not compared. */
  readonly systems: { readonly added: readonly string[]; readonly removed: readonly string[] };
}

/** @public */
export interface RouteDiffOptions {
  /** Entry points to compare; default `internet` and every system both versions have. */
  readonly from?: readonly string[];
  /** Called after each address is routed in both versions (progress on a terminal). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The local part of the synthetic unknown recipient of each domain. */
export const UNKNOWN_LOCAL = 'chainmail-unknown-recipient';
/** A domain no file may accept (RFC 2606 reserves .invalid): probes relaying to the world. */
export const FOREIGN_DOMAIN = 'relay-probe.invalid';

/**
 * Compares the routes of two versions of a model (base = before, head = after).
 *
 * @public
 */
export function routeDiff(base: Model, head: Model, options: RouteDiffOptions = {}): RouteDiff {
  const baseTables = compileRoutingTables(base);
  const headTables = compileRoutingTables(head);
  return diffRoutingTables(baseTables, headTables, probeList([base, head], [baseTables, headTables]), options);
}

/**
 * The addresses to probe: every recipient any system of either version resolves (mailboxes,
 * aliases, contact addresses) and every contact's targetAddress, then one synthetic unknown
 * recipient per domain (declared, accepted, or named by a connector) and one in a domain
 * nobody accepts. Sorted: known ones first, by address.
 */
export function probesFor(models: readonly Model[], tables: readonly ReadonlyMap<string, RoutingTable>[]): Probe[] {
  return [...probeList(models, tables).all()];
}

/**
 * {@link probesFor}'s probes, put in order only as far as they are routed: where only some
 * recipients' entries changed (`plan --base` of a pull request), the diff routes those
 * addresses alone, and sorting 100,000 others only to skip them cost ~0.3 s (issue 19).
 */
export interface ProbeList {
  /** How many probes there are. */
  readonly size: number;
  /** Every probe, in probesFor()'s order. */
  all(): readonly Probe[];
  /** The probes among `addresses`, in the same order as in all(). */
  among(addresses: ReadonlySet<string>): readonly Probe[];
}

/** The {@link ProbeList} of two versions (see probesFor()). */
export function probeList(models: readonly Model[], tables: readonly ReadonlyMap<string, RoutingTable>[]): ProbeList {
  const known = new Set<string>();
  const domains = new Set<string>();
  for (const t of tables) {
    for (const table of t.values()) {
      const index = tableIndex(table);
      for (const key of index.recipients.keys()) known.add(key);
      for (const key of index.known) known.add(key);
      for (const d of Object.keys(table.domains)) domains.add(d);
      for (const c of table.connectors) for (const d of c.addressSpaces) if (d !== '*') domains.add(d);
    }
  }
  for (const m of models) {
    for (const c of m.contacts) if (c.targetAddress.key) known.add(c.targetAddress.key);
    for (const d of m.domains.keys()) if (d) domains.add(d);
  }
  for (const k of known) {
    const r = recipientKey(k);
    if (r) domains.add(r.domain);
  }
  const unknown: Probe[] = [];
  for (const d of [...domains, FOREIGN_DOMAIN].sort(cmp)) {
    let local = UNKNOWN_LOCAL;
    for (let i = 2; known.has(`${local}@${d}`); i++) local = `${UNKNOWN_LOCAL}-${i}`;
    unknown.push({ address: `${local}@${d}`, synthetic: true });
  }
  let all: readonly Probe[] | undefined;
  return {
    size: known.size + unknown.length,
    all: () => (all ??= [...[...known].sort(cmp).map((address) => ({ address, synthetic: false })), ...unknown]),
    among: (addresses) => [
      ...[...addresses]
        .filter((a) => known.has(a))
        .sort(cmp)
        .map((address) => ({ address, synthetic: false })),
      ...unknown.filter((p) => addresses.has(p.address)),
    ],
  };
}

/**
 * Whether some system of the tables resolves or knows a recipient (a chain's gateway knows
 * the others'): asked of the tables' own maps, no set of every key made (issue 19).
 */
function knownBy(tables: ReadonlyMap<string, RoutingTable>): { has(key: string): boolean } {
  const indexes = [...tables.values()].map((t) => tableIndex(t));
  return { has: (key) => indexes.some((i) => i.recipients.has(key) || i.known.has(key)) };
}

/** The recipients some system of the tables resolves or knows, as a set. */
function knownSet(tables: ReadonlyMap<string, RoutingTable>): Set<string> {
  const s = new Set<string>();
  for (const t of tables.values()) {
    const index = tableIndex(t);
    for (const k of index.recipients.keys()) s.add(k);
    for (const k of index.known) s.add(k);
  }
  return s;
}

/**
 * Compares two sets of compiled routing tables over the given probes: the building block
 * of {@link routeDiff}, also used to compare one system's view (the import round trip).
 */
export function diffRoutingTables(
  base: ReadonlyMap<string, RoutingTable>,
  head: ReadonlyMap<string, RoutingTable>,
  probes: readonly Probe[] | ProbeList,
  options: RouteDiffOptions = {},
): RouteDiff {
  const from = options.from ?? ['internet', ...[...base.keys()].filter((s) => head.has(s)).sort(cmp)];
  // memoised per class of recipient (src/routing/route-memo.ts, exactly walk()'s routes):
  // 100,000 recipients of a few classes cost a few walks per entry point (issue 19)
  const before = new RouteMemo(base, undefined, { detectCycles: true });
  const after = new RouteMemo(head, undefined, { detectCycles: true });
  const baseKnown = knownBy(base);
  const headKnown = knownBy(head);
  const changes: RouteChange[] = [];
  // two classes' routes compared once: a route's view is its class's but for a delivery's
  // mailbox, so an address whose classes compare alike in both versions needs only its
  // mailboxes compared, no route put together (a million routes at 100,000 recipients)
  const alike = new Map<RouteClass, Map<RouteClass, boolean>>();
  const classesAlike = (x: RouteClass, y: RouteClass): boolean => {
    let row = alike.get(x);
    if (!row) alike.set(x, (row = new Map()));
    let same = row.get(y);
    if (same === undefined) row.set(y, (same = sameView(classView(x), classView(y))));
    return same;
  };
  // where nothing but some recipients' entries changed, only their addresses can route
  // differently (and the contacts that rewrite to them): the others are not routed at all
  const only = changedKeys(base, head);
  const count = isProbeList(probes) ? probes.size : probes.length;
  const routed = isProbeList(probes) ? (only ? probes.among(only) : probes.all()) : only ? probes.filter((p) => only.has(p.address)) : probes;
  let i = 0;
  for (const p of routed) {
    // one entry per distinct change of this address: entry points with the same change merge
    const merged = new Map<string, { kind: RouteChangeKind; from: string[]; before: RouteView; after: RouteView }>();
    for (const f of from) {
      const cb = before.classify(p.address, f);
      const mb = before.mailbox;
      const ca = after.classify(p.address, f);
      if (cb.leaf === true && ca.leaf === true && classesAlike(cb, ca) && (cb.route.outcome.kind !== 'delivered' || (mb ?? '') === (after.mailbox ?? ''))) continue;
      const b = view(cb.leaf === true ? before.instantiate(cb, p.address, mb, before.target, before.contact) : cb);
      const a = view(ca.leaf === true ? after.instantiate(ca, p.address, after.mailbox, after.target, after.contact) : ca);
      if (sameView(b, a)) continue;
      const sig = `${viewSignature(b)}\u0001${viewSignature(a)}`;
      const cur = merged.get(sig);
      if (cur) cur.from.push(f);
      else {
        const kind = classify(p, b, a, baseKnown, headKnown);
        merged.set(sig, { kind, from: [f], before: b, after: a });
      }
    }
    for (const m of merged.values()) changes.push({ kind: m.kind, recipient: p.address, synthetic: p.synthetic, from: m.from, before: m.before, after: m.after });
    options.onProgress?.(++i, routed.length);
  }
  changes.sort((x, y) => CHANGE_KINDS.indexOf(x.kind) - CHANGE_KINDS.indexOf(y.kind) || Number(x.synthetic) - Number(y.synthetic) || cmp(x.recipient, y.recipient) || from.indexOf(x.from[0] ?? '') - from.indexOf(y.from[0] ?? ''));
  // a recipient only one version knows has an entry that differs: one of the changed keys
  // (changedKeys() compares each table's recipients and known keys both ways)
  let added = 0;
  let removed = 0;
  if (only) {
    for (const k of only) {
      const inHead = headKnown.has(k);
      if (inHead !== baseKnown.has(k)) {
        if (inHead) added++;
        else removed++;
      }
    }
  } else {
    const b = knownSet(base);
    const h = knownSet(head);
    for (const k of h) if (!b.has(k)) added++;
    for (const k of b) if (!h.has(k)) removed++;
  }
  return {
    changes,
    probed: { addresses: count, from, routes: count * from.length },
    recipients: { added, removed },
    systems: {
      added: [...head.keys()].filter((s) => !base.has(s)).sort(cmp),
      removed: [...base.keys()].filter((s) => !head.has(s)).sort(cmp),
    },
  };
}

/**
 * The addresses whose route can differ between two sets of tables that differ only in
 * what they say of some recipients, or undefined where every address must be routed.
 *
 * resolve() reads of a recipient only its key's entries (recipients, hosted, known: what
 * keyAnswer() answers, and the entry's mailbox, target and contact) and its domain; all
 * else is the table's (domains, connectors, unresolved, peers, hop limit, host, the
 * domains of its listed recipients) and the entry points are made from those. So when every
 * system's table is the same in both but for its recipient entries (no cloud table: their
 * per-user lists are read in other ways), an address routes alike unless some table's
 * entry for its key differs, or it is a contact whose target (in either version) routes
 * differently: the keys whose entries differ, closed over the contacts that rewrite to them.
 */
function changedKeys(base: ReadonlyMap<string, RoutingTable>, head: ReadonlyMap<string, RoutingTable>): Set<string> | undefined {
  if (base.size !== head.size) return undefined;
  for (const [name, b] of base) {
    const h = head.get(name);
    if (!h || b.cloud !== undefined || h.cloud !== undefined || skeleton(b) !== skeleton(h)) return undefined;
    if (!sameSet(tableIndex(b).listed, tableIndex(h).listed)) return undefined;
  }
  const changed = new Set<string>();
  // contacts by their target's key: who routes on through a key
  const byTarget = new Map<string, string[]>();
  const hops = new Map<NextHop, string>();
  const hopText = (n: NextHop): string => {
    let t = hops.get(n);
    if (t === undefined) hops.set(n, (t = JSON.stringify(n)));
    return t;
  };
  const target = (to: string, contact: string): void => {
    const k = recipientKey(to)?.key ?? to;
    const list = byTarget.get(k);
    if (list) list.push(contact);
    else byTarget.set(k, [contact]);
  };
  for (const [name, b] of base) {
    const x = tableIndex(b);
    const y = tableIndex(head.get(name) as RoutingTable);
    // each key both versions have compared once; then the keys only the head has. A
    // contact whose entry differs is changed itself: only the base's contacts need their
    // targets (an unchanged one has the same target in the head)
    for (const [key, e] of x.recipients) {
      const f = y.recipients.get(key);
      if (!f || !sameEntry(e, f)) changed.add(key);
      if (e.action === 'rewrite') target(e.to, key);
    }
    for (const key of y.recipients.keys()) if (!x.recipients.has(key)) changed.add(key);
    // known and hosted keys are made from other systems' recipients, whose entries then
    // differ too; compared all the same, so that this does not rest on how they are made
    for (const key of x.known) if (!y.known.has(key)) changed.add(key);
    for (const key of y.known) if (!x.known.has(key)) changed.add(key);
    for (const [key, hop] of x.hosted) {
      const other = y.hosted.get(key);
      if (!other || hopText(hop) !== hopText(other)) changed.add(key);
    }
    for (const key of y.hosted.keys()) if (!x.hosted.has(key)) changed.add(key);
  }
  const queue = [...changed];
  for (let k = queue.pop(); k !== undefined; k = queue.pop()) {
    for (const c of byTarget.get(k) ?? []) {
      if (!changed.has(c)) {
        changed.add(c);
        queue.push(c);
      }
    }
  }
  return changed;
}

/** A table without its recipient entries, as one string (routes.json's order of keys). */
function skeleton(t: RoutingTable): string {
  const { version, system, kind, host, port, mx, gateway, hopLimit, listsRecipients, domains, connectors, unresolved, peers } = t;
  return JSON.stringify({ version, system, kind, host, port, mx, gateway, hopLimit, listsRecipients, domains, connectors, unresolved, peers });
}

function sameEntry(a: RecipientEntry, b: RecipientEntry): boolean {
  if (a.action === 'deliver') return b.action === 'deliver' && a.mailbox === b.mailbox && (a.alias === true) === (b.alias === true);
  return b.action === 'rewrite' && a.to === b.to && a.contact === b.contact && a.hostedBy === b.hostedBy;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * The view of a class's route as {@link view} gives it for any of its recipients, but for a
 * delivery's mailbox (each recipient's own: left out here). A class has no cycle, and the
 * systems and next hops of its hops are the class's (RouteMemo.instantiate puts in only
 * addresses, reasons and the mailbox).
 */
function classView(c: RouteClass): RouteView {
  const v = view(c.route);
  return v.outcome.kind === 'delivered' ? { ...v, outcome: { kind: 'delivered', system: v.outcome.system } as Outcome } : v;
}

/** A route reduced to its outcome and path (reasons are prose: a renamed connector is no route change). */
export function view(r: Route): RouteView {
  const path: string[] = [];
  const nextHops: string[] = [];
  for (const h of r.hops) {
    if (path[path.length - 1] !== h.system) path.push(h.system);
    if (h.decision === 'forward' && h.nextHop !== undefined) nextHops.push(h.nextHop);
  }
  if (r.outcome.kind === 'external' && r.outcome.host !== undefined) path.push(r.outcome.host);
  return { outcome: r.outcome, path, nextHops, ...(r.cycle ? { cycle: r.cycle } : {}) };
}

function outcomeSignature(o: Outcome): string {
  return [o.kind, o.system ?? '', o.status ?? '', o.code ?? '', o.host ?? '', o.mailbox ?? ''].join('\u0000');
}

function viewSignature(v: RouteView): string {
  return `${outcomeSignature(v.outcome)}\u0000${v.path.join('\u0002')}\u0000${v.nextHops.join('\u0002')}\u0000${(v.cycle ?? []).join('\u0002')}`;
}

/** viewSignature(a) === viewSignature(b), without building the strings (a million routes at 100,000 recipients). */
function sameView(a: RouteView, b: RouteView): boolean {
  const x = a.outcome;
  const y = b.outcome;
  if (x.kind !== y.kind || (x.system ?? '') !== (y.system ?? '') || (x.status ?? '') !== (y.status ?? '') || (x.code ?? '') !== (y.code ?? '') || (x.host ?? '') !== (y.host ?? '') || (x.mailbox ?? '') !== (y.mailbox ?? '')) return false;
  return sameList(a.path, b.path) && sameList(a.nextHops, b.nextHops) && sameList(a.cycle ?? [], b.cycle ?? []);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const FAILING = new Set(['bounced', 'refused']);
const REACHES = new Set(['delivered', 'external']);

function classify(p: Probe, b: RouteView, a: RouteView, baseKnown: { has(key: string): boolean }, headKnown: { has(key: string): boolean }): RouteChangeKind {
  const bk = b.outcome.kind;
  const ak = a.outcome.kind;
  if (ak === 'looped' && bk !== 'looped') return 'loop-added';
  if (!p.synthetic && headKnown.has(p.address) && !baseKnown.has(p.address)) return 'recipient-added';
  if (!p.synthetic && baseKnown.has(p.address) && !headKnown.has(p.address)) return 'recipient-removed';
  if (REACHES.has(bk) && FAILING.has(ak)) return 'now-failing';
  if (bk === 'looped' && ak !== 'looped') return 'loop-removed';
  if (FAILING.has(bk) && REACHES.has(ak)) return 'now-delivered';
  if (outcomeSignature(b.outcome) !== outcomeSignature(a.outcome)) {
    return FAILING.has(ak) || ak === 'looped' ? 'failure-changed' : 'delivery-moved';
  }
  return 'next-hop-changed';
}

function isProbeList(p: readonly Probe[] | ProbeList): p is ProbeList {
  return !Array.isArray(p);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
