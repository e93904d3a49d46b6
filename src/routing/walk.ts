import type { HopHost, NextHop, RoutingTable } from './table.js';
import { recipientKey, resolve, type Decision, type Origin, type Reason, type RecipientKey } from './resolve.js';

/**
 * One step of a route: what one system decided.
 *
 * @public
 */
export interface Hop {
  readonly system: string;
  readonly decision: 'deliver' | 'rewrite' | 'forward' | 'bounce' | 'refuse' | 'loop' | 'external';
  /** The recipient as this system saw it. */
  readonly address: string;
  readonly reason: string;
  /** The next host, as written (`[192.168.1.10]:25`), for forward and external. */
  readonly nextHop?: string;
  /** The system of the organisation the next hop reaches. */
  readonly nextSystem?: string;
  readonly by: Reason;
}

/** @public */
export type OutcomeKind = 'delivered' | 'bounced' | 'refused' | 'looped' | 'external';

/** @public */
export interface Outcome {
  readonly kind: OutcomeKind;
  /** The deciding system (absent for external). */
  readonly system?: string;
  /** Enhanced status code (RFC 3463) for bounced, refused, looped. */
  readonly status?: string;
  /** SMTP reply code the deciding system answers with, where there is one. */
  readonly code?: number;
  /** Where the message leaves the organisation (external). */
  readonly host?: string;
  /** The mailbox it is delivered to (delivered). */
  readonly mailbox?: string;
}

/**
 * The route of one recipient through the organisation.
 *
 * @public
 */
export interface Route {
  readonly recipient: string;
  readonly from: string;
  readonly hops: readonly Hop[];
  readonly outcome: Outcome;
  /** For loops found by cycle detection: the systems of the cycle, first repeated at the end. */
  readonly cycle?: readonly string[];
}

/** @public */
export interface SimulateOptions {
  /**
   * Stop at the first repeated (system, recipient) state and report the cycle, instead of
   * walking until a hop limit stops the message as the real systems would. Lint uses this:
   * routing is deterministic, so a repeated state proves a loop and its absence proves
   * termination.
   */
  readonly detectCycles?: boolean;
}

/** Rewrites followed within one system before it is called a loop (Postfix virtual_alias_recursion_limit is 1000). */
export const REWRITE_LIMIT = 100;

/**
 * A message for one recipient at one system: the state one {@link step} decides.
 *
 * @public
 */
export interface MessageState {
  readonly table: RoutingTable;
  /** The recipient as this system sees it. */
  readonly address: string;
  /** `address` split for routing; undefined for what cannot be routed (resolve() refuses it, 501 5.1.3). */
  readonly key: RecipientKey | undefined;
  readonly origin: Origin;
  /** Received: headers the message carries when it reaches this system. */
  readonly received: number;
}

/**
 * One system's decision for one message state, and where it leads.
 *
 * @public
 */
export interface Step {
  readonly decision: Decision;
  /**
   * The next state: a rewrite stays at the system with the new address (same Received:
   * count), routed as mail the system accepted (origin 'local': no relay check); a forward to a system of the organisation arrives there from a peer
   * with one more Received: header. Absent where the route ends here or leaves the
   * organisation.
   */
  readonly next?: MessageState;
  /** A forward whose next hop is the system itself ("mail for X loops back to myself"). */
  readonly self?: true;
}

/** The state of `address` entering at `table`. */
export function messageState(table: RoutingTable, address: string, origin: Origin, received = 0): MessageState {
  return { table, address, key: recipientKey(address), origin, received };
}

/**
 * One hop of the routing engine: resolve() at the state's system, then the hop counting
 * (each forward between systems adds a Received: header, RFC 5321 section 4.4) and the
 * origin a peer sees (anonymous, like the internet).
 *
 * @public
 */
export function step(tables: ReadonlyMap<string, RoutingTable>, state: MessageState): Step {
  // an unroutable address goes in as the string: resolve() refuses it (501 5.1.3)
  const decision = resolve(state.table, state.key ?? state.address, { origin: state.origin, received: state.received });
  if (decision.kind === 'rewrite') {
    // The system has accepted the message for the original recipient (the relay check is
    // made once, at RCPT, on that address): the rewritten address is routed as the system
    // routes its own mail, by any connector, else MX. Postfix checks relay permission in
    // smtpd on the envelope recipient (smtpd_relay_restrictions) and resolves a
    // virtual_alias_maps result after acceptance (cleanup, trivial-rewrite); Exchange
    // checks relay on the receive connector and routes a contact's targetAddress in
    // categorisation; Exchange Online sends a mail user's ExternalEmailAddress on as the
    // tenant's own mail. So a contact needs no relay right to its target's domain.
    return { decision, next: { table: state.table, address: decision.to, key: recipientKey(decision.to), origin: 'local', received: state.received } };
  }
  if (decision.kind !== 'forward') return { decision };
  const next = decision.nextHop.system !== undefined ? tables.get(decision.nextHop.system) : undefined;
  if (!next) return { decision };
  if (next === state.table) return { decision, self: true };
  // Exchange Online takes mail that arrives through an inbound connector as its own (it may
  // relay it on); from any other system it is anonymous, like the internet
  const origin = next.cloud?.relayFrom?.includes(state.table.system) ? 'local' : 'peer';
  return { decision, next: { table: next, address: state.address, key: state.key, origin, received: state.received + 1 } };
}

/**
 * Where a route starts: a table and an origin, or the outcome when it cannot start (no
 * gateway; a system the file does not have).
 */
export type RouteStart = { readonly table: RoutingTable; readonly origin: Origin } | { readonly refused: string };

/**
 * Follows {@link step} from system to system until the route ends: delivered, refused or
 * bounced, looped (the hop limit, the rewrite limit, a rewrite back to a state, or with
 * `detectCycles` any repeated state), or out of the organisation.
 *
 * @public
 */
export function walk(tables: ReadonlyMap<string, RoutingTable>, recipient: string, from: string, start: RouteStart, options: SimulateOptions = {}): Route {
  const hops: Hop[] = [];
  if ('refused' in start) return done(recipient, from, hops, { kind: 'refused', status: '5.7.1', code: 554, system: start.refused });
  let state = messageState(start.table, recipient, start.origin);
  let rewrites = 0;
  const seen = new States();
  const visited: string[] = [];
  for (;;) {
    const { table, address } = state;
    // the origin is part of the state: submitted mail ('local') may use connectors that
    // relayed mail may not, so meeting the entry system again as a peer is no repeat
    const local = state.origin === 'local';
    const stateKey = state.key?.key ?? address;
    const firstSeen = seen.get(table, local, stateKey);
    if (firstSeen !== undefined && (options.detectCycles || hops[hops.length - 1]?.decision === 'rewrite' && hops[hops.length - 1]?.system === table.system)) {
      const cycle = [...visited.slice(firstSeen), table.system];
      hops.push(hop(table.system, 'loop', address, { text: `routing loop: ${cycle.join(' -> ')}` }));
      return done(recipient, from, hops, { kind: 'looped', system: table.system, status: '5.4.6', code: 554 }, cycle);
    }
    if (firstSeen === undefined) seen.add(table, local, stateKey, visited.length);
    visited.push(table.system);
    const s = step(tables, state);
    const d = s.decision;
    switch (d.kind) {
      case 'deliver':
        hops.push(hop(table.system, 'deliver', address, d.reason));
        return done(recipient, from, hops, { kind: 'delivered', system: table.system, mailbox: d.mailbox });
      case 'rewrite':
        hops.push(hop(table.system, 'rewrite', address, d.reason));
        if (++rewrites > REWRITE_LIMIT) return done(recipient, from, hops, { kind: 'looped', system: table.system, status: '5.4.6', code: 554 });
        state = s.next as MessageState;
        visited.pop();
        continue;
      case 'external':
        hops.push(hop(table.system, 'external', address, d.reason, d.host));
        return done(recipient, from, hops, { kind: 'external', host: d.host });
      case 'refuse': {
        // refused by the system the sender talks to = refused; further on, the previous
        // system returns an NDR = bounced (by the system that refused)
        const forwarded = hops.some((h) => h.decision === 'forward');
        hops.push(hop(table.system, forwarded ? 'bounce' : 'refuse', address, d.reason));
        return done(recipient, from, hops, { kind: forwarded ? 'bounced' : 'refused', system: table.system, status: d.status, code: d.code });
      }
      case 'loop':
        hops.push(hop(table.system, 'loop', address, d.reason));
        return done(recipient, from, hops, { kind: 'looped', system: table.system, status: d.status, code: d.code });
      case 'forward': {
        hops.push(hop(table.system, 'forward', address, d.reason, hostList(d.nextHop), s.next?.table.system ?? (s.self ? table.system : undefined)));
        if (s.self) {
          hops.push(hop(table.system, 'loop', address, { text: `mail for ${address} loops back to myself` }));
          return done(recipient, from, hops, { kind: 'looped', system: table.system, status: '5.4.6', code: 554 }, [table.system, table.system]);
        }
        if (!s.next) return done(recipient, from, hops, { kind: 'external', host: hostList(d.nextHop) });
        state = s.next;
        rewrites = 0;
        continue;
      }
    }
  }
}

function done(recipient: string, from: string, hops: readonly Hop[], outcome: Outcome, cycle?: readonly string[]): Route {
  // the keys in the order of the spread this replaces ({ ..., ...(cycle ? { cycle } : {}) })
  return cycle ? { recipient, from, hops, outcome, cycle } : { recipient, from, hops, outcome };
}

/**
 * The (system, origin, recipient) states a route has been in, with the index of the first
 * visit: one flat list scanned by identity (most routes pass two or three systems) instead
 * of a key string per hop; a map once a route grows long (a loop walked to the hop limit).
 */
class States {
  /** table, local, key, at; repeated. */
  #flat: (RoutingTable | boolean | string | number)[] = [];
  #map: Map<string, number> | undefined;

  get(table: RoutingTable, local: boolean, key: string): number | undefined {
    if (this.#map) return this.#map.get(States.#key(table, local, key));
    const f = this.#flat;
    for (let i = 0; i < f.length; i += 4) {
      if (f[i] === table && f[i + 1] === local && f[i + 2] === key) return f[i + 3] as number;
    }
    return undefined;
  }

  add(table: RoutingTable, local: boolean, key: string, at: number): void {
    if (this.#map) {
      this.#map.set(States.#key(table, local, key), at);
      return;
    }
    const f = this.#flat;
    f.push(table, local, key, at);
    if (f.length > 64) {
      this.#map = new Map();
      for (let i = 0; i < f.length; i += 4) this.#map.set(States.#key(f[i] as RoutingTable, f[i + 1] === true, f[i + 2] as string), f[i + 3] as number);
    }
  }

  static #key(table: RoutingTable, local: boolean, key: string): string {
    return `${table.system}\u0000${local ? 'local' : 'peer'}\u0000${key}`;
  }
}

export function hop(system: string, decision: Hop['decision'], address: string, by: Reason, nextHop?: string, nextSystem?: string): Hop {
  // the same keys in the same order as spreading the optional ones, without the spreads
  // (one hop object per system a message passes: 100,000 recipients make a few 100,000)
  const h: { -readonly [K in keyof Hop]: Hop[K] } = { system, decision, address, reason: by.text } as Hop;
  if (nextHop !== undefined) h.nextHop = nextHop;
  if (nextSystem !== undefined) h.nextSystem = nextSystem;
  h.by = by;
  return h;
}

/** `[192.168.1.10]:25` or `backup.example.net:2525`: how Postfix writes a next hop. */
export function hostDisplay(h: HopHost): string {
  const name = h.mx ? h.host : `[${h.host}]`;
  return `${name}:${h.port}`;
}

const hostLists = new WeakMap<NextHop, string>();
/** The next hop's hosts as text, once per next hop of a table (not once per forwarded recipient). */
function hostList(n: NextHop): string {
  let s = hostLists.get(n);
  if (s === undefined) {
    s = n.hosts.map(hostDisplay).join(', ');
    hostLists.set(n, s);
  }
  return s;
}
