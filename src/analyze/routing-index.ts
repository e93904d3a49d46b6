import type { RuleContext } from './rule.js';
import { compileRoutingTables } from '../routing/compile.js';
import { EntryPoints } from '../routing/entry.js';
import type { RoutingTable } from '../routing/table.js';
import { walk, type Route } from '../routing/walk.js';

/** The compiled routing tables and the entry points of the organisation, shared by every rule of one run. */
export interface RoutingIndex {
  readonly tables: ReadonlyMap<string, RoutingTable>;
  readonly entries: EntryPoints;
  /** The route of one recipient from the internet or a system (`chainmail route`'s walk). */
  route(recipient: string, from: string): Route;
}

/**
 * Semantic rules reason over the same compiled tables and the same engine as
 * `chainmail route` and the relay, never over a second hand-written graph walk.
 */
export function routing(ctx: RuleContext): RoutingIndex {
  return ctx.memo('routing', (model) => {
    const tables = compileRoutingTables(model);
    const entries = new EntryPoints(tables);
    return { tables, entries, route: (recipient, from) => walk(tables, recipient, from, entries.start(recipient, from)) };
  });
}
