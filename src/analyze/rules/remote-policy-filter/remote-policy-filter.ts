import type { Fix } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import type { PolicyAddressDecl, PolicyDecl } from '../../../model/model.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';
import { isRemote } from '../../routing-facts.js';

/**
 * KB 321721 method 2, step 1: the recipient policy for a remote domain uses the NULL
 * filter (no recipient types selected), which "prevents the Recipient Update Service from
 * stamping the remote system's SMTP address space onto Exchange objects"; the contacts
 * get their addresses from their own targetAddress and proxyAddresses instead.
 *
 * `filter: null` is the NULL filter. A policy without a `filter` key is reported too:
 * Exchange has no policy without a filter (a new policy gets the default LDAP filter,
 * method 1 step 2), so the NULL filter must be written out. A policy that also holds
 * spaces that are not remote (a default policy, typically) cannot take the NULL filter
 * without un-stamping those: the remote space moves to a policy of its own.
 */
export const remotePolicyFilter = defineRule({
  id: 'remote-policy-filter',
  defaultSeverity: 'warning',
  description: 'a policy for a remote domain has a filter other than the NULL filter',
  check(ctx) {
    for (const policy of ctx.model.policies) {
      if (policy.filter === null || !ctx.model.systems.has(policy.system)) continue;
      const remote = policy.addresses.filter((a) => a.domain.ascii !== '' && isRemote(ctx.model, a.domain.ascii));
      const first = remote[0];
      if (!first) continue;
      const mixed = remote.length < policy.addresses.length;
      const given = policy.filter !== undefined;
      const what = given ? `filter ${q(policy.filter ?? '')}` : 'no filter';
      const advice = mixed ? 'move the remote space to a policy of its own with the NULL filter' : 'use the NULL filter';
      ctx.report({
        message:
          `policy ${q(policy.name)} of ${q(policy.system)} is for remote domain ${domainLabel(first.domain)} but has ${what}: ` +
          `the Recipient Update Service would stamp the remote space onto the objects it selects; ${advice}`,
        at: { path: given ? [...policy.path, 'filter'] : first.path },
        fix: mixed ? ownPolicy(policy, remote) : nullFilter(given),
        data: { policy: policy.name, system: policy.system, domain: first.domain.ascii, ...(given ? { filter: policy.filter ?? '' } : {}) },
      });
    }
  },
});

function nullFilter(given: boolean): Fix {
  return {
    description: `${given ? 'replace the filter with' : 'add'} the NULL filter: no recipient types selected (KB 321721 method 2 step 1)`,
    yaml: yamlSnippet({ filter: null }),
  };
}

/** Method 2 step 1 as YAML: one non-authoritative policy with the NULL filter for the remote spaces. */
function ownPolicy(policy: PolicyDecl, remote: readonly PolicyAddressDecl[]): Fix {
  return {
    description: `remove ${remote.map((a) => q(`@${a.domain.display}`)).join(', ')} from policy ${q(policy.name)} and add this policy (under policies:; KB 321721 method 2 step 1)`,
    yaml: yamlSnippet({
      name: `Remote domains of ${policy.system}`,
      system: policy.system,
      filter: null,
      addresses: remote.map((a) => ({ space: `@${a.domain.display}`, authoritative: false })),
    }),
  };
}
