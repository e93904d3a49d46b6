import { q } from '../../../diagnostics/diagnostic.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { routing } from '../../routing-index.js';
import { defineRule } from '../../rule.js';
import { addressWith, chainPosition, isRemote, primaryAddress, privateSpaceFix, tableOf } from '../../routing-facts.js';

/**
 * KB 321721 method 1: "Exchange must be authoritative for the primary SMTP address space
 * that is specified in the Default Policy" (seed rule 5). The authority is the system's,
 * as the routing tables compile it: another policy of the same system may make the
 * space authoritative.
 *
 * A primary space that the system shares in a chain is left to default-policy-shared (a
 * member that passes it on) or chain-without-authority (the last member).
 */
export const defaultPolicyNotAuthoritative = defineRule({
  id: 'default-policy-not-authoritative',
  defaultSeverity: 'error',
  description: 'a default policy whose primary space is not authoritative',
  check(ctx) {
    const tables = routing(ctx).tables;
    for (const policy of ctx.model.policies) {
      if (!policy.default || !ctx.model.systems.has(policy.system)) continue;
      const primary = primaryAddress(policy);
      const domain = primary?.domain.ascii;
      if (!primary || !domain) continue;
      if (tableOf(ctx, policy.system)?.domains[domain]?.authority === 'authoritative') continue;
      if (chainPosition(ctx, policy.system, domain)) continue;
      // checking the box is the fix only when no other system has a claim on the space
      const elsewhere = [...tables.values()].some((t) => t.system !== policy.system && t.domains[domain] !== undefined);
      const fix =
        elsewhere || isRemote(ctx.model, domain)
          ? privateSpaceFix(ctx, policy, primary)
          : {
              description: `check "This Exchange Organization is responsible for all mail delivery to this address"`,
              yaml: yamlSnippet(addressWith({ ...primary, primary: true }, true)),
            };
      ctx.report({
        message:
          `default policy ${q(policy.name)} of ${q(policy.system)} has primary space ${domainLabel(primary.domain)} without authority: ` +
          "Exchange must be authoritative for its default policy's primary space",
        at: { path: primary.path },
        fix,
        data: { policy: policy.name, system: policy.system, domain },
      });
    }
  },
});
