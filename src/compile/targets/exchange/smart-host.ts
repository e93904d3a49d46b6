import type { HopHost } from '../../../routing/table.js';

/**
 * One structured next hop (HopHost), rendered in each Exchange dialect. Postfix's dialect
 * is in ../postfix/nexthop.ts; all three read the same HopHost of the routing table.
 */

/**
 * Exchange 2000/2003 (ESM "Forward all mail through this connector to the following smart
 * hosts"): in square brackets, "[192.168.1.10]" (KB 321721 step 4: "you must type square
 * brackets around the host name or IP address"; they mean this host, no MX lookup). Only a
 * name the file writes without brackets (an MX lookup on purpose) stays bare.
 */
export function smartHost2003(h: HopHost): string {
  return h.mx ? h.host : `[${h.host}]`;
}

/**
 * Exchange 2007 and later (New-SendConnector -SmartHosts): "If you enter an IP address, you
 * must enter the IP address as a literal. For example, 10.10.1.1" - no brackets.
 */
export function smartHost2007(h: HopHost): string {
  return h.host;
}

/** The connector's port: Exchange has one per connector, not one per smart host. */
export function connectorPort(hosts: readonly HopHost[]): { port: number; mixed: boolean } {
  const ports = [...new Set(hosts.map((h) => h.port))];
  return { port: ports[0] ?? 25, mixed: ports.length > 1 };
}
