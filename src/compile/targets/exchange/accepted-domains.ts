import type { RoutingTable } from '../../../routing/table.js';
import { resolveUnlisted } from '../../../routing/resolve.js';

/** What setup.ps1 makes of one domain on an Exchange 2010+ system. */
export interface AcceptedDomainPlan {
  readonly domain: string;
  /** The accepted domain type, or null: not an accepted domain (Exchange refuses it as relaying). */
  readonly type: 'Authoritative' | 'InternalRelay' | null;
  /** Why, in one line for a comment. */
  readonly why: string;
}

/**
 * The accepted domains of an Exchange 2010+ system, decided by the routing engine rather
 * than by the policies' check boxes: Exchange 2007 and later have no "Allow messages to be
 * relayed to these domains" on a send connector; an anonymous SMTP client may send to an
 * accepted domain and to nothing else (Microsoft, "Accepted domains in Exchange Server":
 * InternalRelay mail "is relayed to ... a Send connector"; other domains get 550 5.7.54
 * "Unable to relay"). So a domain is
 * - Authoritative where the engine says the system is authoritative for it (unknown
 *   recipients 550 5.1.1, with recipient validation, below);
 * - InternalRelay where the engine forwards anonymous mail for it through a connector (a
 *   shared domain whose connector allows relaying, or a domain only a relay connector names);
 * - no accepted domain where the engine refuses anonymous mail for it (554 5.7.1): a
 *   non-authoritative policy whose connector does not allow relaying (relay-not-allowed
 *   reports it) - Exchange then refuses it too, and a contact's target there still leaves
 *   by the send connector.
 */
export function acceptedDomainPlan(table: RoutingTable): AcceptedDomainPlan[] {
  const names = new Set(Object.keys(table.domains));
  for (const c of table.connectors) for (const d of c.addressSpaces) if (d !== '*') names.add(d);
  const out: AcceptedDomainPlan[] = [];
  for (const domain of [...names].sort()) {
    const dom = table.domains[domain];
    if (dom?.authority === 'authoritative') {
      out.push({ domain, type: 'Authoritative', why: `policy ${JSON.stringify(dom.policy)} is responsible for all mail delivery` });
      continue;
    }
    const d = resolveUnlisted(table, { key: '', local: '', domain }, 'internet');
    if (d.kind === 'forward') {
      const by = d.reason.connector !== undefined ? `connector ${JSON.stringify(d.reason.connector)}` : 'its next hop';
      out.push({ domain, type: 'InternalRelay', why: dom ? `policy ${JSON.stringify(dom.policy)} without authority; ${by} relays it` : `${by} allows relaying it` });
    } else if (dom) {
      out.push({ domain, type: null, why: `policy ${JSON.stringify(dom.policy)} without authority, but no connector allows relaying it: not accepted, refused as relaying (5.7.1)` });
    }
  }
  return out;
}
