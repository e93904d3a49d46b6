import { tableIndex, type NextHop, type RoutingTable } from '../routing/table.js';
import type { EntryPoints } from '../routing/entry.js';
import { recipientKey, type Decision, type RecipientKey } from '../routing/resolve.js';
import { step } from '../routing/walk.js';
import { routing } from './routing-index.js';
import type { RuleContext } from './rule.js';

type ForwardDecision = Extract<Decision, { kind: 'forward' }>;
type RewriteDecision = Extract<Decision, { kind: 'rewrite' }>;

/**
 * One state of the exhaustive walk: a recipient at a system, with where it came from
 * (submitted there, or from the internet or a peer, which resolve() treats alike).
 * Recipients that every system treats alike share a state: resolve() looks an address up
 * only by its key (recipients, knownRecipients) and its domain, so all addresses of a
 * domain that no system names behave as one "unknown recipient", and addresses that the
 * same systems name in the same way (the mailboxes of one system, say) behave as one.
 */
export interface WalkState {
  readonly system: string;
  readonly table: RoutingTable;
  /** A representative recipient of the state's class. */
  readonly recipient: RecipientKey;
  /** Submitted at the system (origin local); otherwise it arrived from the internet or a peer. */
  readonly local: boolean;
  /** The representative stands for every recipient of the domain that no system names. */
  readonly unknown: boolean;
}

/** What the system of a state does, and where that leads. */
export type WalkEdge =
  | { readonly kind: 'forward'; readonly decision: ForwardDecision; readonly next: WalkState }
  /** A contact's (or alias's) rewrite: the new address is routed again at the same system. */
  | { readonly kind: 'rewrite'; readonly decision: RewriteDecision; readonly next: WalkState }
  /** A forward whose next hop is the system itself ("mail for X loops back to myself"). */
  | { readonly kind: 'self'; readonly decision: ForwardDecision }
  /** Delivered, refused or bounced, or out of the organisation. */
  | { readonly kind: 'end'; readonly decision: Decision };

/** A cycle of states: `edges[i]` leads from `states[i]` to `states[(i + 1) % n]`. */
export interface WalkCycle {
  readonly states: readonly WalkState[];
  readonly edges: readonly WalkEdge[];
}

/** What is known about the route from a state on (computed once per state). */
export interface WalkInfo {
  /** The cycle the route runs into (it never ends). */
  readonly cycle?: WalkCycle;
  /**
   * min over the states t of the route of hopLimit(t) - (forwards from here to t): a route
   * that starts here with 0 Received: headers is stopped by a hop limit iff slack <= 0.
   * -Infinity on a cycle.
   */
  readonly slack: number;
  /** Consecutive rewrites from here (the simulator's rewrite count until the next forward). */
  readonly run: number;
  /** The longest run of rewrites anywhere on the route from here. */
  readonly maxRun: number;
}

/** What one system does with an address: "<system>\u0001deliver" or "...known", or a rewrite. */
type Part = string | { readonly system: string; readonly to: string };

/** Addresses that every system treats alike; `recipient` is the first valid one met. */
interface RecipientClass {
  recipient?: RecipientKey;
  readonly deliverOnly: boolean;
}

interface Node extends WalkState {
  edge?: WalkEdge;
  info?: WalkInfo;
  mark: number;
  at: number;
}

/** The local part of the synthetic unknown recipient; made unique against every named address. */
const UNKNOWN_LOCAL = 'unknown-recipient';
/** Stands for "any domain no connector names", when some connector has the address space "*". */
export const OTHER_DOMAIN = 'other-domain.invalid';

/**
 * The exhaustive, memoised route walk behind the routing rules. It decides every step with
 * the real engine, resolve(), over the compiled tables (never a second graph model), and
 * memoises per state, so every entry point of a 1,000-system chain, or a chain of 100,000
 * contact rewrites, is walked in linear time. Routing is deterministic: a state met again
 * proves a loop, and its absence proves the route ends (Simulator detectCycles).
 */
export class RouteWalk {
  readonly tables: ReadonlyMap<string, RoutingTable>;
  /** Every address some system names, by key: what the systems do with it, and its class. */
  readonly #byKey = new Map<string, { part: Part; second: Part | undefined; more: Part[] | undefined; cls: RecipientClass | undefined; rank: number }>();
  /** The classes with a representative, in the order their first address was met. */
  readonly #classes: RecipientClass[] = [];
  readonly #unknown = new Map<string, RecipientKey>();
  /** States by table, then origin (local, not local), then class (or domain, for unknown recipients). */
  readonly #states = new Map<RoutingTable, [Map<RecipientClass | string, Node>, Map<RecipientClass | string, Node>]>();
  #walks = 0;
  #cycles?: WalkCycle[];
  #entries?: WalkState[];

  readonly #gateways: readonly RoutingTable[];

  constructor(tables: ReadonlyMap<string, RoutingTable>, entries: EntryPoints) {
    this.tables = tables;
    this.#gateways = entries.gateways();
    // What each system does with each address it names, as a "part" string; a class is the
    // domain plus the sorted parts. Most addresses are named by one system: their class is
    // that one part, no list to sort. The deliver and known parts are made once per table,
    // not once per address, and each address is one map entry holding its class: 100,000
    // addresses cost 100,000 lookups, not several string builds and maps each.
    const byKey = this.#byKey;
    // rank: where the address is first named (table, then its recipients before its known
    // recipients); with the address itself it orders the classes' representatives as the
    // sorted routes.json would, without sorting 100,000 keys (the index maps are unsorted)
    const add = (key: string, part: Part, rank: number): void => {
      const e = byKey.get(key);
      // a second part in a field: the 58,000 hosted keys of a 100k organisation each have
      // two parts, and a list per address (grown on push) is most of their garbage
      if (e === undefined) byKey.set(key, { part, second: undefined, more: undefined, cls: undefined, rank });
      else if (e.second === undefined) e.second = part;
      else (e.more ??= []).push(part);
    };
    let rank = 0;
    for (const t of tables.values()) {
      const deliver = `${t.system}\u0001deliver`;
      const known = `${t.system}\u0001known`;
      const { recipients, known: knownKeys, domains, hosted } = tableIndex(t);
      for (const [key, e] of recipients) {
        // a rewrite's part names its target's class, known once every address is added
        add(key, e.action === 'deliver' ? deliver : { system: t.system, to: e.to }, rank);
      }
      rank++;
      // the reverse path: a system forwards these to their hosting system, unlike an
      // unknown recipient of the domain (so their class is walked on its own)
      // one part string per peer, not one per address
      const hostedParts = new Map<NextHop, string>();
      for (const [key, hop] of hosted) {
        let p = hostedParts.get(hop);
        if (p === undefined) hostedParts.set(hop, (p = `${t.system}\u0001hosted ${hop.system ?? ''}`));
        add(key, p, rank);
      }
      rank++;
      for (const key of knownKeys) {
        if (recipients.has(key) || !domains.get(domainOf(key))?.rejectUnknown) continue;
        add(key, known, rank);
      }
      rank++;
    }
    // A rewrite to an address that no system names leads to the state of its domain's
    // unknown recipient, whatever the address: such rewrites are one class per target
    // domain, not one per target (20,000 contacts whose targetAddresses are on a partner
    // domain are a handful of classes, not 20,000 walks from every entry point).
    const part = (p: Part): string => {
      if (typeof p === 'string') return p;
      const key = recipientKey(p.to)?.key;
      return `${p.system}\u0001rewrite ${key === undefined ? p.to : byKey.has(key) ? key : `\u0003${domainOf(key)}`}`;
    };
    // A class is the domain plus the set of parts. An address gets at most one part per
    // table and kind (its recipients, hosted, known), added in table order: the same set is
    // always the same sequence, so the classes are found by walking the parts in a tree of
    // maps, with no list to sort and no signature string to build per address.
    const root: SignatureNode = { next: new Map(), byDomain: new Map(), deliverOnly: true };
    // each class's representative: its first valid address in (rank, address) order
    const firsts = new Map<RecipientClass, { rank: number; key: string }>();
    for (const [key, e] of byKey) {
      let node = child(root, part(e.part));
      if (e.second !== undefined) node = child(node, part(e.second));
      if (e.more) for (const p of e.more) node = child(node, part(p));
      const domain = domainOf(key);
      let cls = node.byDomain.get(domain);
      if (!cls) {
        cls = { deliverOnly: node.deliverOnly };
        node.byDomain.set(domain, cls);
      }
      e.cls = cls;
      const first = firsts.get(cls);
      if (first && (first.rank < e.rank || (first.rank === e.rank && first.key < key))) continue;
      const recipient = recipientKey(key);
      if (recipient) {
        cls.recipient = recipient;
        firsts.set(cls, { rank: e.rank, key });
      }
    }
    // the classes in the order of their representatives (the order they were met in a
    // walk over the sorted tables)
    const order = [...firsts].sort(([, a], [, b]) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const [cls] of order) this.#classes.push(cls);
  }

  /** A recipient of `domain` that no system names: it stands for every such recipient. */
  unknownRecipient(domain: string): RecipientKey {
    let r = this.#unknown.get(domain);
    if (!r) {
      let local = UNKNOWN_LOCAL;
      for (let i = 1; this.#byKey.has(`${local}@${domain}`); i++) local = `${UNKNOWN_LOCAL}-${i}`;
      r = { key: `${local}@${domain}`, local, domain };
      this.#unknown.set(domain, r);
    }
    return r;
  }

  /** The state of `recipient` at `system` (undefined for a system without a table). */
  state(system: string, recipient: RecipientKey, local: boolean): WalkState | undefined {
    const table = this.tables.get(system);
    return table ? this.#state(table, recipient, local) : undefined;
  }

  #state(table: RoutingTable, recipient: RecipientKey, local: boolean): Node {
    const cls = this.#byKey.get(recipient.key)?.cls;
    let byOrigin = this.#states.get(table);
    if (!byOrigin) this.#states.set(table, (byOrigin = [new Map(), new Map()]));
    const states = byOrigin[local ? 0 : 1];
    // unknown recipients are classed by their domain (a string; a class is an object)
    const id = cls ?? recipient.domain;
    let n = states.get(id);
    if (!n) {
      const rep = cls === undefined ? this.unknownRecipient(recipient.domain) : (cls.recipient ?? recipient);
      n = { system: table.system, table, recipient: rep, local, unknown: cls === undefined, mark: 0, at: 0 };
      states.set(id, n);
    }
    return n;
  }

  /** Representatives of the classes of named addresses of `domain` (every named address, up to equivalence). */
  namedRecipients(domain: string): RecipientKey[] {
    const out: RecipientKey[] = [];
    for (const c of this.#classes) if (c.recipient?.domain === domain) out.push(c.recipient);
    return out;
  }

  /** Every domain a system accepts or a connector names, plus OTHER_DOMAIN when a connector has "*". */
  domains(): string[] {
    const out = new Set<string>();
    for (const t of this.tables.values()) {
      for (const d of Object.keys(t.domains)) out.add(d);
      for (const c of t.connectors) for (const s of c.addressSpaces) out.add(s === '*' ? OTHER_DOMAIN : s);
    }
    return [...out].sort();
  }

  /**
   * The entry points of the exhaustive walk, those from the internet first: an unknown
   * recipient of every domain arriving at every gateway and submitted at every system, and
   * the same for every class of named addresses. Classes that are only ever delivered are
   * left out: until a system delivers them they go where an unknown recipient goes, so their
   * routes are beginnings of the unknown recipient's (no other loop, no longer route).
   */
  entries(): WalkState[] {
    if (this.#entries) return this.#entries;
    const out: WalkState[] = [];
    const domains = this.domains();
    const classes = this.#classes.filter((c) => !c.deliverOnly);
    for (const local of [false, true]) {
      // from the internet at every gateway (any client may connect to any of them), and
      // submitted at every system: the routing stage's entry points
      for (const t of local ? this.tables.values() : this.#gateways) {
        for (const d of domains) out.push(this.#state(t, this.unknownRecipient(d), local));
        for (const c of classes) if (c.recipient) out.push(this.#state(t, c.recipient, local));
      }
    }
    this.#entries = out;
    return out;
  }

  /** What the state's system does with its recipient: the routing stage's step() with 0 Received: headers. */
  step(state: WalkState): WalkEdge {
    const n = state as Node;
    if (n.edge) return n.edge;
    const origin = n.local ? 'local' : 'peer';
    const s = step(this.tables, { table: n.table, address: n.recipient.key, key: n.recipient, origin, received: 0 });
    const d = s.decision;
    let edge: WalkEdge;
    if (d.kind === 'forward') {
      if (s.self) edge = { kind: 'self', decision: d };
      else if (!s.next) edge = { kind: 'end', decision: d };
      else edge = { kind: 'forward', decision: d, next: this.#state(s.next.table, n.recipient, s.next.origin === 'local') };
    } else if (d.kind === 'rewrite' && s.next) {
      const to = s.next.key;
      // an unroutable target: the next step at the same system refuses it (501 5.1.3)
      edge = to ? { kind: 'rewrite', decision: d, next: this.#state(n.table, to, s.next.origin === 'local') } : { kind: 'end', decision: step(this.tables, s.next).decision };
    } else {
      edge = { kind: 'end', decision: d };
    }
    n.edge = edge;
    return edge;
  }

  /** The route from `state` on: the cycle it ends in, its hop-limit slack, its rewrite runs. */
  info(state: WalkState): WalkInfo {
    const start = state as Node;
    if (start.info) return start.info;
    const walk = ++this.#walks;
    const path: Node[] = [];
    let cur: Node | undefined = start;
    // iterative, not recursive: a chain of 100,000 rewrites must not overflow the stack
    while (cur && !cur.info) {
      if (cur.mark === walk) {
        const states = path.slice(cur.at);
        const cycle: WalkCycle = { states, edges: states.map((s) => this.step(s)) };
        for (const s of states) s.info = { cycle, slack: -Infinity, run: 0, maxRun: 0 };
        path.length = cur.at;
        break;
      }
      cur.mark = walk;
      cur.at = path.length;
      path.push(cur);
      const e = this.step(cur);
      cur = e.kind === 'forward' || e.kind === 'rewrite' ? (e.next as Node) : undefined;
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const n = path[i] as Node;
      const e = this.step(n);
      if (e.kind === 'forward' || e.kind === 'rewrite') {
        const next = (e.next as Node).info as WalkInfo;
        const run = e.kind === 'rewrite' ? 1 + next.run : 0;
        n.info = {
          ...(next.cycle ? { cycle: next.cycle } : {}),
          slack: Math.min(n.table.hopLimit, next.slack - (e.kind === 'forward' ? 1 : 0)),
          run,
          maxRun: Math.max(run, next.maxRun),
        };
      } else if (e.kind === 'self') {
        n.info = { cycle: { states: [n], edges: [e] }, slack: -Infinity, run: 0, maxRun: 0 };
      } else {
        n.info = { slack: n.table.hopLimit, run: 0, maxRun: 0 };
      }
    }
    // a fresh reference: TypeScript still narrows `start.info` to undefined from the check above
    const done: Node = start;
    return done.info as WalkInfo;
  }

  /** Every distinct cycle reachable from the entry points, in the order found. */
  cycles(): readonly WalkCycle[] {
    if (!this.#cycles) {
      const out = new Set<WalkCycle>();
      for (const e of this.entries()) {
        const c = this.info(e).cycle;
        if (c) out.add(c);
      }
      this.#cycles = [...out];
    }
    return this.#cycles;
  }
}

/** A node of the tree of part sequences: the classes (by domain) of the addresses whose parts end here. */
interface SignatureNode {
  readonly next: Map<string, SignatureNode>;
  readonly byDomain: Map<string, RecipientClass>;
  /** Every part on the way here is a delivery. */
  readonly deliverOnly: boolean;
}

function child(node: SignatureNode, part: string): SignatureNode {
  let c = node.next.get(part);
  if (!c) node.next.set(part, (c = { next: new Map(), byDomain: new Map(), deliverOnly: node.deliverOnly && part.endsWith('\u0001deliver') }));
  return c;
}

function domainOf(key: string): string {
  return key.slice(key.lastIndexOf('@') + 1);
}

/** The memoised walk of one analysis run, shared by the routing rules. */
export function routeWalk(ctx: RuleContext): RouteWalk {
  return ctx.memo('route-walk', () => new RouteWalk(routing(ctx).tables, routing(ctx).entries));
}

/** The systems a route passes, in order (a rewrite stays at its system). */
export function describeStates(states: readonly WalkState[]): string[] {
  const out: string[] = [];
  for (const s of states) if (out[out.length - 1] !== s.system) out.push(s.system);
  return out;
}
