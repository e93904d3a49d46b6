import { compileRoutingTables } from '../routing/compile.js';
import type { Model } from '../model/model.js';
import { Simulator, type Route } from './simulate.js';

/**
 * Options of {@link route}.
 *
 * @public
 */
export interface RouteOptions {
  /** Where the messages enter: `internet` (default) or the name of a system they are submitted at. */
  readonly from?: string;
}

/**
 * Where mail for each address goes: compiles the model's routing tables and walks each
 * recipient through the organisation with the same engine the relay uses.
 *
 * @public
 */
export function route(model: Model, addresses: readonly string[], options: RouteOptions = {}): Route[] {
  const simulator = new Simulator(compileRoutingTables(model));
  return addresses.map((a) => simulator.route(a, options.from ?? 'internet'));
}
