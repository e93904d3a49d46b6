import type { EntryPoints } from '../routing/entry.js';
import { tableIndex } from '../routing/table.js';

/**
 * The MX targets of a domain: where the routing engine says internet mail for it enters
 * (src/routing/entry.ts `mx()`), keeping only gateways that accept the domain: a gateway
 * that refuses it (5.7.1) is no MX for it. Names, sorted.
 */
export function gatewaysAccepting(entries: EntryPoints, domain: string): string[] {
  return entries
    .mx(domain)
    .filter((t) => tableIndex(t).domains.has(domain))
    .map((t) => t.system)
    .sort();
}
