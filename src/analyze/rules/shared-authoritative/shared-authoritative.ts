import { q } from '../../../diagnostics/diagnostic.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';
import { addressesOf, addressWith, chainPosition, isDefaultPrimary, validChains } from '../../routing-facts.js';

/**
 * KB 321721 method 1, step 2 (sub-step 8): the shared space's policy must have the box
 * "This Exchange Organization is responsible for all mail delivery to this address"
 * unchecked; "you cannot share an SMTP address space for which Exchange is
 * authoritative". Every system of a chain but the last passes unknown recipients on; an
 * authoritative one bounces them (5.1.1) before the later systems see them.
 *
 * The primary space of a default policy is left to default-policy-shared: unchecking the
 * box there would break seed rule 5, the fix is step 1 a-g. An Authoritative domain of
 * Exchange Online is left to cloud-authoritative-shared: with every recipient of the chain
 * known in the tenant (mail users) it is the recommended hybrid set-up (Directory-Based
 * Edge Blocking), and that rule reports the recipients the tenant does not know.
 */
export const sharedAuthoritative = defineRule({
  id: 'shared-authoritative',
  defaultSeverity: 'error',
  description: "a system that is not the last of a chain is authoritative for the chain's domain",
  check(ctx) {
    for (const ref of validChains(ctx)) {
      const { chain, index } = ref;
      const last = chain.order[chain.order.length - 1] ?? '';
      for (const [domain, name] of ref.domains) {
        for (const system of chain.order.slice(0, -1)) {
          if (ctx.model.systems.get(system)?.kind === 'exchange-online') continue;
          // a system shares a domain in the first chain that lists both (as the routing tables do)
          if (chainPosition(ctx, system, domain)?.ref !== ref) continue;
          for (const r of addressesOf(ctx, system, domain)) {
            if (!r.address.authoritative || isDefaultPrimary(r.policy, r.address)) continue;
            ctx.report({
              message:
                `${q(system)} is authoritative for domain ${domainLabel(name)} in policy ${q(r.policy.name)} ` +
                `but is not the last system of chain ${q(chain.name)}: it bounces unknown recipients that ${q(last)} may hold`,
              at: { path: r.address.path },
              related: [{ message: `${q(last)}, the last system of chain ${q(chain.name)}, is the authoritative one`, at: { path: ['chains', index, 'order', chain.order.length - 1] } }],
              fix: {
                description: `uncheck "This Exchange Organization is responsible for all mail delivery to this address" (KB 321721 step 2)`,
                yaml: yamlSnippet(addressWith(r.address, false)),
              },
              data: { system, domain, chain: chain.name, policy: r.policy.name },
            });
          }
        }
      }
    }
  },
});
