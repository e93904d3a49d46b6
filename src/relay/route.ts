import type { HopHost, RoutingTable } from '../routing/table.js';
import { recipientKey, resolve, type Origin } from '../routing/resolve.js';
import { hostDisplay, REWRITE_LIMIT } from '../routing/walk.js';

/** What the relay does with one recipient: the end of resolve()'s rewrites. */
export type RecipientRoute =
  | { readonly kind: 'deliver'; readonly address: string; readonly mailbox: string; readonly reason: string }
  | { readonly kind: 'forward'; readonly address: string; readonly hosts: readonly HopHost[]; readonly system?: string; readonly display: string; readonly reason: string }
  /** Leaves the organisation by MX (only for mail this system originates: DSNs). */
  | { readonly kind: 'mx'; readonly address: string; readonly hosts: readonly HopHost[]; readonly display: string; readonly reason: string }
  | { readonly kind: 'fail'; readonly address: string; readonly code: number; readonly status: string; readonly reason: string };

/** Whether a host and port are this relay itself. */
export type SelfCheck = (host: string, port: number) => boolean;

/**
 * Decides a recipient with the routing engine the simulator uses: resolve(), following
 * rewrites (contacts, aliases) at this system like the simulator does, then the one check
 * only the running relay can make: a next hop that is its own listening address loops
 * back to itself (Postfix smtp: "mail for %s loops back to myself", 5.4.6).
 */
export function routeRecipient(table: RoutingTable, recipient: string, entryOrigin: Origin, received: number, isSelf: SelfCheck): RecipientRoute {
  let address = recipient;
  let origin = entryOrigin;
  const seen = new Set<string>();
  for (let i = 0; ; i++) {
    const rk = recipientKey(address);
    const d = resolve(table, rk ?? address, { origin, received });
    switch (d.kind) {
      case 'deliver':
        return { kind: 'deliver', address, mailbox: d.mailbox, reason: d.reason.text };
      case 'rewrite': {
        const key = rk?.key ?? address;
        if (seen.has(key) || i >= REWRITE_LIMIT) {
          return { kind: 'fail', address, code: 554, status: '5.4.6', reason: `rewriting ${recipient} loops at ${address}` };
        }
        seen.add(key);
        address = d.to;
        // accepted for the original recipient: the target is routed without a relay check (step())
        origin = 'local';
        continue;
      }
      case 'refuse':
      case 'loop':
        return { kind: 'fail', address, code: d.code, status: d.status, reason: d.reason.text };
      case 'external': {
        const hosts: HopHost[] = [{ host: d.host, port: 25, mx: true, display: d.host }];
        return { kind: 'mx', address: wire(address, rk), hosts, display: d.host, reason: d.reason.text };
      }
      case 'forward': {
        const hop = d.nextHop;
        const display = hop.hosts.map(hostDisplay).join(', ');
        if (hop.system === table.system || hop.hosts.some((h) => isSelf(h.host, h.port))) {
          return { kind: 'fail', address, code: 554, status: '5.4.6', reason: `mail for ${address} loops back to myself (${display})` };
        }
        return {
          kind: 'forward',
          address: wire(address, rk),
          hosts: hop.hosts,
          ...(hop.system !== undefined ? { system: hop.system } : {}),
          display,
          reason: d.reason.text,
        };
      }
    }
  }
}

/**
 * The address as it goes out: the local part as given, the domain as an A-label (RFC 5890;
 * always allowed, also without SMTPUTF8) with no trailing dot. The next hop then compares
 * exactly what this system compared.
 */
function wire(address: string, rk: ReturnType<typeof recipientKey>): string {
  return rk ? `${rk.local}@${rk.domain}` : address;
}
