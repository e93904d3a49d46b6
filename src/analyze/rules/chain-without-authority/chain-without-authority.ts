import { q } from '../../../diagnostics/diagnostic.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';
import { addressesOf, addressWith, chainPosition, isRemote, tableOf, validChains } from '../../routing-facts.js';

/**
 * KB 321721 method 1: a message that no system can deliver must "eventually be routed to
 * a mail system that is authoritative for the SMTP address space" so that an NDR is
 * generated. In a chain that is the last system; when it is not authoritative (or does
 * not accept the domain at all) unknown recipients are never bounced by their owner:
 * they are refused as relaying or sent on without end.
 *
 * Remote domains (method 2) are hosted outside: remote-policy-authoritative forbids
 * authority for them, so they are not asked for it here.
 */
export const chainWithoutAuthority = defineRule({
  id: 'chain-without-authority',
  defaultSeverity: 'error',
  description: 'the last system of a chain is not authoritative for the domain',
  check(ctx) {
    for (const ref of validChains(ctx)) {
      const { chain, index } = ref;
      const k = chain.order.length - 1;
      const last = chain.order[k] ?? '';
      const lastItem = { path: ['chains', index, 'order', k] };
      for (const [domain, name] of ref.domains) {
        if (isRemote(ctx.model, domain) || chainPosition(ctx, last, domain)?.ref !== ref) continue;
        const accepted = tableOf(ctx, last)?.domains[domain];
        if (accepted?.authority === 'authoritative') continue;
        const related = [{ message: `${q(last)} is the last system of chain ${q(chain.name)}`, at: lastItem }];
        const first = addressesOf(ctx, last, domain)[0];
        if (accepted && first) {
          ctx.report({
            message:
              `${q(last)}, the last system of chain ${q(chain.name)}, accepts domain ${domainLabel(name)} without authority ` +
              `(policy ${q(first.policy.name)}): no system returns the NDR for an unknown recipient`,
            at: { path: first.address.path },
            related,
            fix: {
              description: `check "This Exchange Organization is responsible for all mail delivery to this address" on ${q(last)}`,
              yaml: yamlSnippet(addressWith(first.address, true)),
            },
            data: { chain: chain.name, system: last, domain, accepted: 'internal-relay' },
          });
          continue;
        }
        ctx.report({
          message:
            `${q(last)}, the last system of chain ${q(chain.name)}, does not accept domain ${domainLabel(name)}: ` +
            `no policy of ${q(last)} names it, so no system returns the NDR for an unknown recipient`,
          at: lastItem,
          fix: {
            description: `add a recipient policy of ${q(last)} that is authoritative for ${q(name.display)} (under policies:)`,
            yaml: yamlSnippet({ name: `${name.display} on ${last}`, system: last, addresses: [{ space: `@${name.display}`, primary: true, authoritative: true }] }),
          },
          data: { chain: chain.name, system: last, domain, accepted: 'no' },
        });
      }
    }
  },
});
