import type { Model } from '../../src/model/model.js';
import type { NextHop, RoutingTable } from '../../src/routing/table.js';

/** A next hop as Postfix sends to it: chainmail's Postfix target brackets every host (no MX lookup). */
function bracketed(h: NextHop): NextHop {
  return { ...h, hosts: h.hosts.map((x) => ({ ...x, mx: false })) };
}

/**
 * One system's view of the routes: its routing table alone, as the gateway. A forward to
 * another system then ends the route at that host, which is all a system's own
 * configuration decides (and all its Postfix maps can say).
 */
export function alone(tables: ReadonlyMap<string, RoutingTable>, system: string): Map<string, RoutingTable> {
  const t = tables.get(system);
  if (!t) throw new Error(`no routing table for ${system}`);
  return new Map([[system, { ...t, gateway: true, connectors: t.connectors.map((c) => ({ ...c, nextHop: bracketed(c.nextHop) })), unresolved: t.unresolved && bracketed(t.unresolved) }]]);
}

/** `--host` for the import: how the original file reaches the system. */
export function hostOf(model: Model, system: string): string {
  const s = model.systems.get(system);
  if (!s) throw new Error(`no system ${system}`);
  return s.host.port === undefined && s.port !== 25 ? `${s.host.raw}:${s.port}` : s.host.raw;
}
