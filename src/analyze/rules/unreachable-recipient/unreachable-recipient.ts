import { q } from '../../../diagnostics/diagnostic.js';
import type { Decision } from '../../../routing/resolve.js';
import { tableIndex, type RoutingTable } from '../../../routing/table.js';
import { routeWalk, type RouteWalk, type WalkState } from '../../route-walk.js';
import { listText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * The promise of a shared address space: everybody in it can mail everybody (issue 13;
 * docs/routing.md, "Users of every system can mail each other"). For every recipient that
 * a system of the organisation hosts (mailbox, alias, contact) and every system that
 * accepts its domain, mail submitted there must end delivered at a system that names the
 * recipient, or leave the organisation after a contact's rewrite. Decided by the routing
 * engine over the compiled tables (the reverse path of resolve() included), one memoised
 * walk per state of route-walk.ts. Loops and hop limits are forwarding-loop's and
 * hop-limit's findings, not repeated here.
 */
export const unreachableRecipient = defineRule({
  id: 'unreachable-recipient',
  defaultSeverity: 'error',
  description: 'a recipient of the organisation that mail from one of its systems cannot reach',
  check(ctx) {
    const { model } = ctx;
    const walk = routeWalk(ctx);
    const ends = new Map<WalkState, End | null>();
    const hosts = new Map<string, string | undefined>();
    // one finding per (sending system, failing system, hosting system): the recipients listed
    const groups = new Map<string, { from: string; end: End; host: string; recipients: string[] }>();
    for (const domain of walk.domains()) {
      const named = walk.namedRecipients(domain);
      if (named.length === 0) continue;
      for (const t of walk.tables.values()) {
        if (!tableIndex(t).domains.has(domain)) continue;
        for (const r of named) {
          if (!hosts.has(r.key)) hosts.set(r.key, hostOf(walk, r.key));
          const host = hosts.get(r.key);
          if (host === undefined || host === t.system) continue;
          const start = walk.state(t.system, r, true);
          if (!start) continue;
          const end = endOf(walk, start, ends);
          if (!end) continue;
          const key = `${t.system}\u0000${end.state.system}\u0000${host}`;
          const g = groups.get(key);
          if (g) g.recipients.push(r.key);
          else groups.set(key, { from: t.system, end, host, recipients: [r.key] });
        }
      }
    }
    for (const { from, end, host, recipients } of groups.values()) {
      const at = end.state.system;
      const sys = model.systems.get(at);
      if (!sys) continue;
      const failing = at === from ? `at ${q(at)} itself` : `at hop ${end.hops} (${q(at)})`;
      ctx.report({
        message:
          `mail from users of system ${q(from)} to ${listText(recipients)} (hosted by ${q(host)}) does not arrive: ` +
          `it ${end.what} ${failing}; ${fixText(end.state.table, host, recipients[0] ?? '', model.systems.get(host)?.routingDomain?.ascii)}`,
        at: { path: sys.path, key: true },
        data: { system: from, recipient: recipients[0] ?? '', host, failsAt: at, hop: String(end.hops), recipients: String(recipients.length) },
      });
    }
  },
});

/** Where a route that does not arrive ends: the state, what happens there, the forwards before it. */
interface End {
  readonly state: WalkState;
  readonly hops: number;
  /** `is refused (550 5.1.1)`, `is taken as a local mailbox`, `leaves the organisation`. */
  readonly what: string;
}

/** The system that delivers a recipient (mailbox or alias), else the first with a contact for it. */
function hostOf(walk: RouteWalk, key: string): string | undefined {
  let contact: string | undefined;
  for (const t of walk.tables.values()) {
    const e = tableIndex(t).recipients.get(key);
    if (e?.action === 'deliver') return t.system;
    if (e && contact === undefined) contact = t.system;
  }
  return contact;
}

/**
 * The end of the route from `start` when it does not arrive, else null; undefined for a
 * loop or a route a hop limit stops (other rules report those). Memoised per state.
 */
function endOf(walk: RouteWalk, start: WalkState, memo: Map<WalkState, End | null>): End | undefined {
  const info = walk.info(start);
  if (info.cycle || info.slack <= 0) return undefined;
  const path: WalkState[] = [];
  let s: WalkState = start;
  let result: End | null | undefined;
  let rewritten = false;
  for (;;) {
    result = memo.get(s);
    if (result !== undefined) break;
    path.push(s);
    const e = walk.step(s);
    if (e.kind === 'forward' || e.kind === 'rewrite') {
      if (e.kind === 'rewrite') rewritten = true;
      s = e.next;
      continue;
    }
    result = e.kind === 'end' ? failure(s, e.decision, rewritten) : null;
    memo.set(s, result);
    path.pop();
    break;
  }
  // the states before the end share it (the hop count is from each state's own start)
  for (const p of path) memo.set(p, result);
  if (!result) return undefined;
  let hops = 0;
  for (let x: WalkState = start; x !== result.state; ) {
    const e = walk.step(x);
    if (e.kind !== 'forward' && e.kind !== 'rewrite') break;
    if (e.kind === 'forward') hops++;
    x = e.next;
  }
  return { ...result, hops };
}

/** Whether the final decision at `s` means the recipient does not arrive. */
function failure(s: WalkState, d: Decision, rewritten: boolean): End | null {
  switch (d.kind) {
    case 'deliver':
      // delivered where the recipient is named; "assumed a local mailbox" elsewhere is a misdelivery
      return tableIndex(s.table).recipients.has(s.recipient.key) ? null : { state: s, hops: 0, what: 'is taken as a local mailbox (the system does not list its recipients)' };
    case 'refuse':
      return { state: s, hops: 0, what: `is refused (${d.code} ${d.status}: ${d.reason.text})` };
    case 'external':
    case 'forward':
      // a contact's targetAddress outside the organisation is where it should go
      return rewritten ? null : { state: s, hops: 0, what: 'leaves the organisation' };
    default:
      return null;
  }
}

/** What to configure at the failing system, by what its kind can do (docs/routing.md). */
function fixText(failing: RoutingTable, host: string, recipient: string, routingDomain: string | undefined): string {
  switch (failing.kind) {
    case 'exchange':
      // Exchange reaches it through a mail contact to the hosting system's routing domain,
      // which build writes once both exist (src/routing/routing-contacts.ts)
      return routingDomain
        ? `add a connector on ${q(failing.system)} for ${q(host)}'s routing domain ${q(routingDomain)} to ${q(host)} (chainmail build then writes a mail contact for ${q(recipient)} whose targetAddress is in ${q(routingDomain)})`
        : `give system ${q(host)} a routingDomain (a domain routed to it in which each of its recipients has an address, e.g. "${host}.local"), declare it under domains, and add a connector on ${q(failing.system)} for it to ${q(host)}: chainmail build then writes a mail contact on ${q(failing.system)} for ${q(recipient)} whose targetAddress is in that domain`;
    case 'other':
      return `configure ${q(failing.system)} to forward ${q(recipient)} to ${q(host)} (its next hop), as its software does per recipient (chainmail writes no artifacts for kind other)`;
    default:
      return `accept the domain on ${q(failing.system)} without authority with a connector towards ${q(host)}, or let ${q(failing.system)} reach ${q(host)} (chainmail build writes the per-recipient route)`;
  }
}
