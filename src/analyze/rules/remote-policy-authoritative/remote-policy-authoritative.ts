import { q } from '../../../diagnostics/diagnostic.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';
import { addressWith, isRemote } from '../../routing-facts.js';

/**
 * KB 321721 method 2, step 1: the recipient policy for a remote domain (one hosted on
 * another mail system, reached through contacts and a connector) has the box "This
 * Exchange Organization is responsible for all mail delivery to this address"
 * unchecked. Authoritative, the system would bounce (5.1.1) every address of the remote
 * domain that is not one of its own objects, instead of routing it to the remote system.
 */
export const remotePolicyAuthoritative = defineRule({
  id: 'remote-policy-authoritative',
  defaultSeverity: 'error',
  description: 'a policy makes a `remote: true` domain authoritative',
  check(ctx) {
    for (const policy of ctx.model.policies) {
      if (!ctx.model.systems.has(policy.system)) continue;
      for (const address of policy.addresses) {
        const domain = address.domain.ascii;
        if (!domain || !address.authoritative || !isRemote(ctx.model, domain)) continue;
        const decl = ctx.model.domains.get(domain);
        ctx.report({
          message:
            `policy ${q(policy.name)} of ${q(policy.system)} makes remote domain ${domainLabel(address.domain)} authoritative: ` +
            `${q(policy.system)} would bounce its recipients instead of routing them to the system that hosts it`,
          at: { path: address.path },
          ...(decl ? { related: [{ message: `${q(decl.name.display)} is declared remote here`, at: { path: [...decl.path, 'remote'] } }] } : {}),
          fix: {
            description: 'uncheck "This Exchange Organization is responsible for all mail delivery to this address" (KB 321721 method 2 step 1)',
            yaml: yamlSnippet(addressWith(address, false)),
          },
          data: { policy: policy.name, system: policy.system, domain },
        });
      }
    }
  },
});
