import { EntryPoints } from '../routing/entry.js';
import type { RoutingTable } from '../routing/table.js';
import { walk, type Route, type SimulateOptions } from '../routing/walk.js';

export type { Hop, Outcome, OutcomeKind, Route, SimulateOptions } from '../routing/walk.js';

/**
 * Walks messages from system to system over compiled routing tables: the entry points and
 * walk() of the routing stage (src/routing/), for `chainmail route`, `test` and `plan`.
 *
 * @public
 */
export class Simulator {
  readonly #tables: ReadonlyMap<string, RoutingTable>;
  readonly #entries: EntryPoints;

  constructor(tables: ReadonlyMap<string, RoutingTable>) {
    this.#tables = tables;
    this.#entries = new EntryPoints(tables);
  }

  /** The system where internet mail for a domain arrives: a gateway that accepts it, else the first gateway. */
  entryFor(domain: string): RoutingTable | undefined {
    return this.#entries.entryFor(domain);
  }

  /** Routes one recipient entering from the internet or submitted at a system. */
  route(recipient: string, from = 'internet', options: SimulateOptions = {}): Route {
    return walk(this.#tables, recipient, from, this.#entries.start(recipient, from), options);
  }
}
