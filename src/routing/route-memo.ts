import { EntryPoints } from './entry.js';
import { ANSWER_ALIAS, ANSWER_MAILBOX, ANSWER_REWRITE, deliverEntry, KeyAnswers, keyAnswer, recipientKey, rewriteEntry, senderRouted, type RecipientKey } from './resolve.js';
import { tableIndex, type RecipientEntry, type RoutingTable } from './table.js';
import { hop, walk, type Hop, type Outcome, type Route, type RouteStart, type SimulateOptions } from './walk.js';

/**
 * Recipients that route alike (issue 19): the route of the first one walked, and where the
 * next one's mailbox comes from. Every other recipient of the class gets this route with
 * its own address (and mailbox) put in.
 *
 * @public
 */
export interface RouteClass {
  readonly leaf: true;
  /** The route walk() gave the recipient that made the class. */
  readonly route: Route;
  /** A delivery's mailbox: the last system's mailbox or alias entry for the key, the key itself (a policy assumes a mailbox), or none (no delivery). */
  readonly mailbox: 'entry' | 'key' | undefined;
  /** The last system (where the mailbox is looked up). */
  readonly last: RoutingTable;
  readonly alias: boolean;
  /** The hop where a contact rewrites the recipient to its target (the hops after it carry the target), or -1. */
  readonly rewriteAt: number;
}

/** One system along a class's route: the next step by what the system answers for the key. */
interface Node {
  readonly leaf: false;
  readonly table: RoutingTable;
  /** The table's answers (its maps found once) and its column in the memo's per-key cache. */
  readonly keys: KeyAnswers;
  readonly column: number;
  readonly next: Map<number, Node | RouteClass>;
  /** Where the system rewrites the key (a contact): the same system for the target, by the target's domain. */
  after?: Map<string, Node>;
}

/**
 * A memoising front of {@link walk}, for routing many recipients (`chainmail route
 * --recipients`): the same routing engine, walked once per class of recipient instead of
 * once per recipient.
 *
 * A route depends on the recipient only through its domain (the entry point and every
 * domain decision), what each system along the route answers for its key (keyAnswer(),
 * next to resolve(): mailbox, alias, hosted by which system, known or not) and, for a
 * delivery, the mailbox. The memo is a tree per (from, domain): at each system it asks
 * keyAnswer() and follows the answer to the next system, down to a class; only the lookups
 * of the recipient's own route are made, there is no index over all keys. A route is
 * memoised only when that holds provably, else every recipient of that kind is walked:
 * - at most one rewrite (a contact: its target, another key, goes on from the same system,
 *   and the tree goes on by the target's domain and its answers; the target and contact
 *   name are put in like the address), no cloud table (per-user lists: -1), no unroutable
 *   address;
 * - no loop of any kind (hop limit, cycle, a system passed twice), so the state of the
 *   walk at each system is fixed by the path: origin and Received: count;
 * - every hop's address is the recipient (after a rewrite, its target), and a delivery's
 *   mailbox is the system's entry for the key or the key itself;
 * - and the class's route, put together for the recipient that made it, equals that
 *   recipient's walk() (checked once per class).
 * test/routing/route-memo.test.ts holds it to walk() on random organisations.
 *
 * @public
 */
export class RouteMemo {
  readonly #tables: ReadonlyMap<string, RoutingTable>;
  readonly #entries: EntryPoints;
  readonly #options: SimulateOptions;
  /** The recipient classify() was given last and its key: `plan --base` asks for each address from every entry point in turn. */
  #lastRecipient: string | undefined;
  #lastKey: RecipientKey | undefined;
  /** keyAnswer() per table (by its column) for {@link #answerKey}, NOT_ASKED where not asked yet, and the entry it was read from. */
  readonly #columns = new Map<RoutingTable, { readonly keys: KeyAnswers; readonly column: number }>();
  readonly #answers: Int32Array;
  readonly #found: (RecipientEntry | undefined)[];
  #answerKey: RecipientKey | undefined;
  /** By from, then the recipient's domain: the entry system, or null where no route starts (refused). */
  readonly #roots = new Map<string, Map<string, { node: Node; start: RouteStart } | null>>();
  /** The key of the recipient {@link classify} was given last (undefined: it has none). */
  get key(): RecipientKey | undefined {
    return this.#lastKey;
  }

  /** The mailbox of the recipient {@link classify} last answered with a class. */
  mailbox: string | undefined;
  /** Its contact's target, where the class rewrites. */
  target = '';
  /** Its contact's name, where the class rewrites. */
  contact = '';

  /**
   * `options`: what every walk() of the memo is given (`detectCycles` for `plan --base`); a
   * class is made only of a route without a loop or a repeated system, which those options
   * do not change.
   */
  constructor(tables: ReadonlyMap<string, RoutingTable>, entries = new EntryPoints(tables), options: SimulateOptions = {}) {
    this.#tables = tables;
    this.#entries = entries;
    this.#options = options;
    for (const t of tables.values()) this.#columns.set(t, { keys: new KeyAnswers(t), column: this.#columns.size });
    this.#answers = new Int32Array(this.#columns.size);
    this.#found = new Array<RecipientEntry | undefined>(this.#columns.size).fill(undefined);
  }

  /** The route of `recipient`: exactly what walk() gives. */
  route(recipient: string, from = 'internet'): Route {
    const c = this.classify(recipient, from);
    return c.leaf === true ? this.instantiate(c, recipient, this.mailbox, this.target, this.contact) : c;
  }

  /**
   * The class of `recipient` (its mailbox, target and contact in {@link mailbox},
   * {@link target}, {@link contact}), or its route by walk() where it has no class (yet, or ever).
   */
  classify(recipient: string, from = 'internet'): RouteClass | (Route & { readonly leaf?: undefined }) {
    if (recipient !== this.#lastRecipient) {
      this.#lastRecipient = recipient;
      this.#lastKey = recipientKey(recipient);
    }
    const r = this.#lastKey;
    // sender-specified routing: a Postfix system refuses it by the local part (resolve()), no class
    if (!r || senderRouted(r)) return walk(this.#tables, recipient, from, this.#entries.start(recipient, from), this.#options);
    let byDomain = this.#roots.get(from);
    if (!byDomain) this.#roots.set(from, (byDomain = new Map()));
    let root = byDomain.get(r.domain);
    if (root === undefined) {
      const start = this.#entries.start(recipient, from);
      root = 'refused' in start ? null : { node: this.#node(start.table), start };
      byDomain.set(r.domain, root);
    }
    if (root === null) return walk(this.#tables, recipient, from, this.#entries.start(recipient, from), this.#options);
    let node = root.node;
    let key = r;
    let rewritten = false;
    for (;;) {
      const a = this.#answer(node, key);
      if (a === ANSWER_REWRITE && !rewritten) {
        // one contact along the route: its target goes on from the same system
        const e = this.#found[node.column];
        const to = e?.action === 'rewrite' ? recipientKey(e.to) : undefined;
        if (e?.action !== 'rewrite' || !to || to.key === key.key) return walk(this.#tables, recipient, from, root.start, this.#options);
        this.target = e.to;
        this.contact = e.contact;
        const sub = node.after?.get(to.domain);
        if (sub === undefined) return this.#learn(recipient, from, r, root.node, root.start);
        node = sub;
        key = to;
        rewritten = true;
        continue;
      }
      if (a < 0) return walk(this.#tables, recipient, from, root.start, this.#options);
      const n = node.next.get(a);
      if (n === undefined) return this.#learn(recipient, from, r, root.node, root.start);
      if (n.leaf) {
        if (n.rewriteAt >= 0 !== rewritten) return walk(this.#tables, recipient, from, root.start, this.#options);
        // the last system is this node's: its entry for the key was read by #answer()
        const e = n.mailbox === 'entry' ? this.#found[node.column] : undefined;
        this.mailbox = n.mailbox === 'entry' ? (e?.action === 'deliver' ? e.mailbox : undefined) : n.mailbox === 'key' ? key.key : undefined;
        return n;
      }
      node = n;
    }
  }

  /**
   * keyAnswer(node's table, key), asked once per table while the same key comes back (the
   * same recipient from another entry point); the entry it was read from in #found.
   */
  #answer(node: Node, key: RecipientKey): number {
    const column = node.column;
    if (key !== this.#answerKey) {
      this.#answerKey = key;
      this.#answers.fill(NOT_ASKED);
    }
    let a = this.#answers[column] as number;
    if (a === NOT_ASKED) {
      this.#answers[column] = a = node.keys.answer(key);
      this.#found[column] = node.keys.entry;
    }
    return a;
  }

  /** A node of the tree at `table` (a system of the memo's tables). */
  #node(table: RoutingTable): Node {
    const c = this.#columns.get(table);
    // every table of a route is one of the memo's (a walk's hops name its systems): cannot happen
    if (c === undefined) throw new Error(`route memo: no table for ${JSON.stringify(table.system)}`);
    return { leaf: false, table, keys: c.keys, column: c.column, next: new Map() };
  }

  /** The route of a class for one of its recipients: the class's route with its address, mailbox and contact put in. */
  instantiate(c: RouteClass, recipient: string, mailbox: string | undefined, target = '', contact = ''): Route {
    const t = c.route;
    const n = t.hops.length;
    const hops: Hop[] = new Array<Hop>(n);
    for (let i = 0; i < n; i++) {
      const h = t.hops[i] as Hop;
      const by = i === c.rewriteAt ? rewriteEntry(target, contact).reason : i === n - 1 && c.mailbox === 'entry' ? deliverEntry(c.last, mailbox ?? '', c.alias).reason : h.by;
      hops[i] = hop(h.system, h.decision, c.rewriteAt >= 0 && i > c.rewriteAt ? target : recipient, by, h.nextHop, h.nextSystem);
    }
    // the outcome's keys in walk()'s order; only a delivery's depends on the recipient
    const o = t.outcome;
    const outcome = o.kind === 'delivered' ? ({ kind: o.kind, system: o.system, mailbox } as Outcome) : o;
    return { recipient, from: t.from, hops, outcome };
  }

  /** Walks a recipient that has no class yet, and makes its class where the route allows one. */
  #learn(recipient: string, from: string, r: RecipientKey, root: Node, start: RouteStart): Route {
    const route = walk(this.#tables, recipient, from, start, this.#options);
    const { hops, outcome } = route;
    if (route.cycle || hops.length === 0 || outcome.kind === 'looped') return route;
    // at most one rewrite, not the last hop; its target goes on from the same system
    const rewriteAt = hops.findIndex((h) => h.decision === 'rewrite');
    const target = rewriteAt >= 0 ? (hops[rewriteAt + 1]?.address ?? '') : '';
    const to = rewriteAt >= 0 ? recipientKey(target) : undefined;
    if (rewriteAt >= 0 && (!to || to.key === r.key || hops[rewriteAt + 1]?.system !== hops[rewriteAt]?.system)) return route;
    const systems = new Set<string>();
    const answers: number[] = [];
    const tables: RoutingTable[] = [];
    for (let i = 0; i < hops.length; i++) {
      const h = hops[i] as Hop;
      const table = this.#tables.get(h.system);
      const after = rewriteAt >= 0 && i > rewriteAt;
      if (!table || h.address !== (after ? target : recipient) || (h.decision === 'rewrite' && i !== rewriteAt) || h.decision === 'loop') return route;
      // a system passes twice only as the contact's rewrite and its target's next step
      if (systems.has(h.system) && i !== rewriteAt + 1) return route;
      systems.add(h.system);
      const a = keyAnswer(table, after && to ? to : r);
      if (a === -1 || (a === ANSWER_REWRITE) !== (i === rewriteAt)) return route;
      tables.push(table);
      answers.push(a);
    }
    if (tables[0] !== root.table) return route;
    const last = tables[tables.length - 1] as RoutingTable;
    const lastAnswer = answers[answers.length - 1] as number;
    const finalKey = to ?? r;
    let mailbox: RouteClass['mailbox'];
    if (outcome.kind === 'delivered') {
      if (lastAnswer === ANSWER_MAILBOX || lastAnswer === ANSWER_ALIAS) mailbox = 'entry';
      else if (outcome.mailbox === finalKey.key) mailbox = 'key';
      else return route;
    }
    const c: RouteClass = { leaf: true, route, mailbox, last, alias: lastAnswer === ANSWER_ALIAS, rewriteAt };
    // the class must give back exactly the route it was made from
    const mine = mailbox === 'entry' ? entryMailbox(last, finalKey) : mailbox === 'key' ? finalKey.key : undefined;
    const contact = rewriteAt >= 0 ? (hops[rewriteAt]?.by.contact ?? '') : '';
    if (JSON.stringify(this.instantiate(c, recipient, mine, target, contact)) !== JSON.stringify(route)) return route;
    let node = root;
    for (let i = 0; i < tables.length; i++) {
      const a = answers[i] as number;
      if (i === tables.length - 1) {
        if (!node.next.has(a)) node.next.set(a, c);
        return route;
      }
      const nextTable = tables[i + 1] as RoutingTable;
      if (i === rewriteAt && to) {
        node.after ??= new Map();
        let sub = node.after.get(to.domain);
        if (sub === undefined) node.after.set(to.domain, (sub = this.#node(nextTable)));
        node = sub;
        continue;
      }
      const found = node.next.get(a);
      if (found === undefined) {
        const child = this.#node(nextTable);
        node.next.set(a, child);
        node = child;
      } else if (found.leaf || found.table !== nextTable) {
        // cannot happen (routing is deterministic); no class rather than a wrong one
        return route;
      } else node = found;
    }
    return route;
  }
}

/** Not a keyAnswer() (those are -1 and up). */
const NOT_ASKED = -2;

/** The mailbox of the table's mailbox or alias entry for the key (keyAnswer() found one). */
function entryMailbox(table: RoutingTable, r: RecipientKey): string | undefined {
  const e = tableIndex(table).recipients.get(r.key);
  return e?.action === 'deliver' ? e.mailbox : undefined;
}
