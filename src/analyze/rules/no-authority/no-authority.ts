import { q } from '../../../diagnostics/diagnostic.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { routing } from '../../routing-index.js';
import { defineRule } from '../../rule.js';
import { addressesOf, andList, chainDomains, isDefaultPrimary, isRemote, type PolicyAddressRef } from '../../routing-facts.js';

/**
 * KB 321721 method 1: a system that is not authoritative for a space passes unknown
 * recipients on so that they "eventually" reach the authoritative system, which returns
 * the NDR. A domain that systems accept but none owns has no such end: unknown recipients
 * go round or out, and nobody bounces them.
 *
 * Chained domains are left to chain-without-authority (the chain says who must own them),
 * a default policy's primary space to default-policy-not-authoritative; `remote: true`
 * domains are owned outside the organisation (method 2).
 */
export const noAuthority = defineRule({
  id: 'no-authority',
  defaultSeverity: 'warning',
  description: 'a domain accepted somewhere that no system is authoritative for (and not remote)',
  check(ctx) {
    const chained = chainDomains(ctx);
    const accepting = new Map<string, string[]>();
    const owned = new Set<string>();
    for (const table of routing(ctx).tables.values()) {
      for (const [domain, accepted] of Object.entries(table.domains)) {
        if (accepted.authority === 'authoritative') owned.add(domain);
        const list = accepting.get(domain);
        if (list) list.push(table.system);
        else accepting.set(domain, [table.system]);
      }
    }
    for (const [domain, systems] of accepting) {
      if (owned.has(domain) || chained.has(domain) || isRemote(ctx.model, domain)) continue;
      const refs = systems.flatMap((s) => addressesOf(ctx, s, domain)).sort((a, b) => order(a) - order(b));
      const [first, ...rest] = refs;
      // the primary space of a default policy: default-policy-not-authoritative says the same, with its fix
      if (!first || refs.some((r) => isDefaultPrimary(r.policy, r.address))) continue;
      const decl = ctx.model.domains.get(domain);
      ctx.report({
        message:
          `domain ${domainLabel(first.address.domain)} is accepted by ${andList(systems.map(q))} but no system is authoritative for it: ` +
          'no system returns the NDR for an unknown recipient',
        at: { path: first.address.path },
        related: rest.map((r) => ({ message: `accepted without authority here (policy ${q(r.policy.name)} of ${q(r.policy.system)})`, at: { path: r.address.path } })),
        ...(decl
          ? {
              fix: {
                description: `if ${q(decl.name.display)} is hosted outside the organisation, declare it remote (KB 321721 method 2); otherwise make one system authoritative for it`,
                yaml: yamlSnippet({ [decl.name.display]: { remote: true } }),
              },
            }
          : {}),
        data: { domain, systems: systems.join(',') },
      });
    }
  },
});

function order(r: PolicyAddressRef): number {
  return (r.address.path[1] as number) * 100_000 + (r.address.path[3] as number);
}
