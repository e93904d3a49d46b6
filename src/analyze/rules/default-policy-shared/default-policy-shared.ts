import { q } from '../../../diagnostics/diagnostic.js';
import { domainLabel } from '../../indexes.js';
import { defineRule } from '../../rule.js';
import { chainPosition, primaryAddress, privateSpaceFix } from '../../routing-facts.js';

/**
 * KB 321721 method 1, step 1: "if you want to share the SMTP address space that is the
 * primary SMTP address space of the Default Policy", create a new private space (it need
 * not exist in DNS, e.g. `@example.local`), make it authoritative and primary, and remove
 * the shared space from the default policy (sub-steps a-g). Exchange must be
 * authoritative for that primary space (seed rule 5) and a system that passes the shared
 * space on must not be: both cannot hold.
 *
 * Only systems that pass the domain on (every chain member but the last) are concerned:
 * the last system is authoritative for the shared space, so its default policy may keep it.
 */
export const defaultPolicyShared = defineRule({
  id: 'default-policy-shared',
  defaultSeverity: 'error',
  description: 'a default policy whose primary space is a shared (chained) domain',
  check(ctx) {
    for (const policy of ctx.model.policies) {
      if (!policy.default || !ctx.model.systems.has(policy.system)) continue;
      const primary = primaryAddress(policy);
      const domain = primary?.domain.ascii;
      if (!primary || !domain) continue;
      const pos = chainPosition(ctx, policy.system, domain);
      if (!pos || pos.last) continue;
      const { chain, index } = pos.ref;
      ctx.report({
        message:
          `the primary space of default policy ${q(policy.name)} of ${q(policy.system)} is domain ${domainLabel(primary.domain)}, ` +
          `which ${q(policy.system)} shares in chain ${q(chain.name)}: Exchange must be authoritative for its default policy's primary space ` +
          'and cannot share a space it is authoritative for',
        at: { path: primary.path },
        related: [{ message: `${q(policy.system)} passes ${q(primary.domain.display)} on in chain ${q(chain.name)}`, at: { path: ['chains', index, 'order', pos.position] } }],
        fix: privateSpaceFix(ctx, policy, primary),
        data: { policy: policy.name, system: policy.system, domain, chain: chain.name },
      });
    }
  },
});
