import { q } from '../../../diagnostics/diagnostic.js';
import { cloudDomains } from '../../cloud-domains.js';
import { yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';
import { tableIndex, type RoutingTable } from '../../../routing/table.js';

/**
 * An Authoritative accepted domain of Exchange Online has Directory-Based Edge Blocking:
 * "550 5.4.1 Recipient address rejected: Access denied" for every address the tenant does
 * not know (learn.microsoft.com, "Use Directory-Based Edge Blocking to reject messages sent
 * to invalid recipients"). Where another system of the organisation hosts recipients of
 * the domain, each must be known in the tenant (a mail user or mail contact, as directory
 * synchronisation creates) or its mail from the internet is refused at Microsoft's edge.
 * Reported once per domain and hosting system, with the count and the first address.
 */
export const cloudAuthoritativeShared = defineRule({
  id: 'cloud-authoritative-shared',
  defaultSeverity: 'error',
  description: 'a domain is Authoritative in Exchange Online while another system hosts recipients in it that the tenant does not know',
  check(ctx) {
    const known = new Map<RoutingTable, Set<string>>();
    for (const { system: s, table, accepted: a, ascii } of cloudDomains(ctx, 'Authoritative')) {
      const keys = known.get(table) ?? new Set([...tableIndex(table).recipients.keys(), ...(table.cloud?.routeOut ?? [])]);
      known.set(table, keys);
      for (const other of ctx.model.systems.values()) {
        if (other.name === s.name) continue;
        const missing = other.mailboxes.flatMap((m) => [m, ...m.aliases]).filter((e) => e.address.domain.ascii === ascii && e.address.key && !keys.has(e.address.key));
        const first = missing[0];
        if (!first) continue;
        const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
        ctx.report({
          message:
            `accepted domain ${q(a.domain.display)} is Authoritative in ${q(s.name)} (Directory-Based Edge Blocking) but ${q(other.name)} hosts recipients in it ` +
            `that the tenant does not know, e.g. ${q(first.address.display)}${more}: their mail is refused with 550 5.4.1`,
          at: { path: a.path },
          related: [{ message: `${q(first.address.display)} is a recipient of ${q(other.name)}`, at: first.at }],
          fix: {
            description: `make them mail users of ${q(s.name)} (directory synchronisation), or make ${q(a.domain.display)} InternalRelay with an outbound connector`,
            yaml: yamlSnippet({ mailUsers: [{ address: first.address.display, externalEmailAddress: first.address.display }] }),
          },
          data: { system: s.name, domain: a.domain.ascii, other: other.name, first: first.address.key, count: String(missing.length) },
        });
      }
    }
  },
});
