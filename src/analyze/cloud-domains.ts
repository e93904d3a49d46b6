import type { AcceptedDomainType, ExchangeOnlineDecl, SystemDecl } from '../model/model.js';
import type { RoutingTable } from '../routing/table.js';
import { routing } from './routing-index.js';
import type { RuleContext } from './rule.js';

/** One accepted domain of an Exchange Online system, with the system and its routing table. */
export interface CloudDomain {
  readonly system: SystemDecl;
  readonly table: RoutingTable;
  readonly accepted: ExchangeOnlineDecl['acceptedDomains'][number];
  /** The A-label form: the key every routing table uses (a domain without one routes nowhere). */
  readonly ascii: string;
}

/**
 * Each accepted domain of type `type` (or of any other type than Authoritative, with
 * 'relay') of each Exchange Online system that has a routing table, in model order: the
 * loop of the cloud rules that ask the routing engine about a tenant's domains.
 */
export function* cloudDomains(ctx: RuleContext, type: 'Authoritative' | 'relay'): Generator<CloudDomain> {
  const { tables } = routing(ctx);
  const wanted = (t: AcceptedDomainType): boolean => (type === 'relay' ? t !== 'Authoritative' : t === type);
  for (const system of ctx.model.systems.values()) {
    const table = tables.get(system.name);
    if (!system.exchangeOnline || !table) continue;
    for (const accepted of system.exchangeOnline.acceptedDomains) {
      if (wanted(accepted.type) && accepted.domain.ascii) yield { system, table, accepted, ascii: accepted.domain.ascii };
    }
  }
}
