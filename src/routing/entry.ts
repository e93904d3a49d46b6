import { recipientKey } from './resolve.js';
import { tableIndex, type RoutingTable } from './table.js';
import type { RouteStart } from './walk.js';

/**
 * Where mail enters the organisation: the one definition behind the simulator, the route
 * walk of lint, the rules and the relay tests (docs/routing.md, "Entry points").
 *
 * - Internet mail for a domain is delivered by MX to every gateway that accepts the domain
 *   (`mx(domain)`); where no gateway accepts it, the first gateway by name takes it (and
 *   refuses it, or relays it where a connector allows). `entryFor(domain)` is the one a
 *   route starts at: the first of `mx(domain)`.
 * - Any internet client may still connect to any gateway, whatever MX says: `gateways()`
 *   is every system that receives mail from the internet (the exhaustive walk of lint
 *   starts at each of them, for every domain).
 * - Locally submitted mail (`--from SYSTEM`, sendmail, a user's client) enters at that
 *   system with the origin 'local'.
 */
export class EntryPoints {
  readonly #tables: ReadonlyMap<string, RoutingTable>;
  readonly #gateways: readonly RoutingTable[];
  readonly #mx = new Map<string, readonly RoutingTable[]>();

  constructor(tables: ReadonlyMap<string, RoutingTable>) {
    this.#tables = tables;
    this.#gateways = [...tables.values()].filter((t) => t.gateway).sort((a, b) => (a.system < b.system ? -1 : 1));
  }

  /** Every gateway, sorted by name. */
  gateways(): readonly RoutingTable[] {
    return this.#gateways;
  }

  /** Where MX delivers internet mail for `domain`: the gateways that accept it, else the first gateway. */
  mx(domain: string): readonly RoutingTable[] {
    let entry = this.#mx.get(domain);
    if (entry === undefined) {
      const accepting = this.#gateways.filter((g) => tableIndex(g).domains.has(domain));
      const first = this.#gateways[0];
      entry = accepting.length > 0 ? accepting : first ? [first] : [];
      // bounded: the domains come from the addresses routed (the relay routes any)
      if (this.#mx.size >= 10_000) this.#mx.clear();
      this.#mx.set(domain, entry);
    }
    return entry;
  }

  /** The system where a route of internet mail for `domain` starts: the first of {@link mx}. */
  entryFor(domain: string): RoutingTable | undefined {
    return this.mx(domain)[0];
  }

  /** The system where mail submitted at `system` enters (undefined for a name without a table). */
  submission(system: string): RoutingTable | undefined {
    return this.#tables.get(system);
  }

  /**
   * Where a route of `recipient` starts: from the internet at {@link entryFor} its domain,
   * else submitted at the system named `from`.
   */
  start(recipient: string, from: string): RouteStart {
    if (from === 'internet') {
      const table = this.entryFor(recipientKey(recipient)?.domain ?? '');
      return table ? { table, origin: 'internet' } : { refused: 'internet' };
    }
    const table = this.submission(from);
    return table ? { table, origin: 'local' } : { refused: from };
  }
}
