import { q } from '../../../diagnostics/diagnostic.js';
import { hopHost, systemAt } from '../../../routing/compile.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';
import { chainPosition, connectorDecl, tableOf, validChains } from '../../routing-facts.js';

/**
 * KB 321721 method 1, step 4: the connector for the shared space forwards through a smart
 * host, "the destination computer that receives all mail that does not resolve to an
 * object in Active Directory": the next mail system of the organisation. A smart host
 * that is no system of this file (same host and port, as the routing tables match it)
 * sends the shared domain's unresolved recipients out of the organisation, past every
 * system that could deliver or bounce them; or it is a system of the file written under
 * another name, and chainmail cannot follow the chain through it.
 *
 * Every smart host of every connector of a chain member that names a chained domain is
 * checked (backup hosts too: failover must not leave either). Remote domains (method 2)
 * are meant to leave and are not concerned.
 */
export const connectorLeavesOrganization = defineRule({
  id: 'connector-leaves-organization',
  defaultSeverity: 'warning',
  description: "a shared domain's connector points at a host that is no system of the file",
  check(ctx) {
    const reported = new Set<string>();
    for (const ref of validChains(ctx)) {
      const chain = ref.chain;
      for (const [domain, name] of ref.domains) {
        chain.order.forEach((system, position) => {
          if (chainPosition(ctx, system, domain)?.ref !== ref) return;
          const next = chain.order[position + 1];
          for (const entry of tableOf(ctx, system)?.connectors ?? []) {
            if (!entry.addressSpaces.includes(domain)) continue;
            const decl = connectorDecl(ctx, system, entry.name);
            if (!decl || decl.to !== undefined) continue;
            for (const h of decl.smartHosts) {
              if (h.error !== undefined || systemAt(ctx.model, hopHost(h, 25))) continue;
              const key = JSON.stringify(h.path);
              if (reported.has(key)) continue;
              reported.add(key);
              ctx.report({
                message:
                  `connector ${q(decl.name)} sends shared domain ${domainLabel(name)} from ${q(system)} to ${q(h.raw)}, which is no system of this file: ` +
                  `unresolved recipients of chain ${q(chain.name)} leave the organisation`,
                at: { path: h.path },
                related: [{ message: `${q(system)} shares ${q(name.display)} in chain ${q(chain.name)}`, at: { path: ['chains', ref.index, 'order', position] } }],
                ...(next !== undefined
                  ? {
                      fix: {
                        description: `if ${q(h.raw)} is ${q(next)}, the next system of chain ${q(chain.name)}, name the system instead of its host (replace smartHosts)`,
                        yaml: yamlSnippet({ to: next }),
                      },
                    }
                  : {}),
                data: { connector: decl.name, system, domain, chain: chain.name, host: h.raw },
              });
            }
          }
        });
      }
    }
  },
});
