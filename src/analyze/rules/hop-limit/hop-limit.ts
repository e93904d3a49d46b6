import type { Target } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import { REWRITE_LIMIT } from '../../../routing/walk.js';
import { hopStatus } from '../../../routing/resolve.js';
import { formatCount, yamlSnippet } from '../../indexes.js';
import { describeStates, routeWalk, type WalkState } from '../../route-walk.js';
import { recipientText, routeText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/** The largest hop limit the schema allows (`systems.*.hopLimit`). */
const MAX_HOP_LIMIT = 1000;

/**
 * Hop limits stop a loop that the configuration failed to prevent (domain.md: "the relay
 * counts Received: headers like Postfix does"; postconf(5) hopcount_limit, Exchange
 * 5.4.6 / 5.4.14). A route that is no loop at all but passes as many systems as one of
 * them allows Received: headers is stopped all the same (554, the system's status): the seed's chain
 * "first, second, third, ..." has a practical length. Exhaustive like forwarding-loop:
 * every entry point and recipient class of route-walk.ts, the slack memoised per state.
 */
export const hopLimit = defineRule({
  id: 'hop-limit',
  defaultSeverity: 'warning',
  description: "a route longer than a system's hop limit",
  check(ctx) {
    const { model } = ctx;
    const walk = routeWalk(ctx);
    const reported = new Set<string>();
    for (const entry of walk.entries()) {
      const info = walk.info(entry);
      // loops are forwarding-loop's and contact-target-loop's; only slack <= 0 is stopped
      if (info.cycle || info.maxRun > REWRITE_LIMIT || info.slack > 0) continue;
      const stop = stopOf(walk, entry);
      if (!stop || reported.has(stop.state.system)) continue;
      reported.add(stop.state.system);
      const sys = model.systems.get(stop.state.system);
      if (!sys) continue;
      const limit = stop.state.table.hopLimit;
      const written = model.config.systems?.[sys.name]?.hopLimit !== undefined;
      const at: Target = written ? { path: [...sys.path, 'hopLimit'] } : { path: sys.path, key: true };
      const from = entry.local ? `system ${q(entry.system)}` : 'the internet';
      const route = routeText(stop.systems);
      ctx.report({
        message:
          `mail for ${recipientText(model, entry)} from ${from} reaches system ${q(sys.name)} after ` +
          `${plural(stop.hops, 'hop')}, its hop limit (${plural(limit, 'Received: header')}), and is stopped as a loop (${hopStatus(stop.state.table.kind)}): ${route}`,
        at,
        ...(stop.hops + 1 <= MAX_HOP_LIMIT
          ? {
              fix: {
                description: `raise the hop limit of system ${q(sys.name)} above the ${plural(stop.hops, 'hop')} of the route, or shorten the route`,
                yaml: yamlSnippet({ hopLimit: stop.hops + 1 }),
              },
            }
          : {}),
        data: {
          system: sys.name,
          hopLimit: String(limit),
          hops: String(stop.hops),
          recipient: entry.recipient.key,
          from: entry.local ? entry.system : 'internet',
          route,
        },
      });
    }
  },
});

/** Walks a route from its entry to the first system whose hop limit its Received: count reaches. */
function stopOf(walk: ReturnType<typeof routeWalk>, entry: WalkState): { state: WalkState; hops: number; systems: string[] } | undefined {
  const states: WalkState[] = [];
  let hops = 0;
  let s: WalkState | undefined = entry;
  while (s) {
    states.push(s);
    if (hops >= s.table.hopLimit) return { state: s, hops, systems: describeStates(states) };
    const e = walk.step(s);
    if (e.kind === 'forward') hops++;
    s = e.kind === 'forward' || e.kind === 'rewrite' ? e.next : undefined;
  }
  return undefined;
}

/** `1 hop`, `20 hops`, `1,000 hops`. */
function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}
