import { compileRoutingTables } from '../compile/routing.js';
import type { RoutingTable } from '../model/routing-table.js';
import { Simulator } from '../route/simulate.js';
import type { RuleContext } from './rule.js';

/** The compiled routing tables and a simulator over them, shared by every rule of one run. */
export interface RoutingIndex {
  readonly tables: ReadonlyMap<string, RoutingTable>;
  readonly simulator: Simulator;
}

/**
 * Semantic rules reason over the same compiled tables and the same engine as
 * `chainmail route` and the relay, never over a second hand-written graph walk.
 */
export function routing(ctx: RuleContext): RoutingIndex {
  return ctx.memo('routing', (model) => {
    const tables = compileRoutingTables(model);
    return { tables, simulator: new Simulator(tables) };
  });
}
