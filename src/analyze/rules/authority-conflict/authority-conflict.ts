import type { Target } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { routing } from '../../routing-index.js';
import { defineRule, type RuleContext } from '../../rule.js';
import { addressesOf, addressWith, andList, chainPosition, type PolicyAddressRef } from '../../routing-facts.js';

/** One system that is authoritative for a domain, and the policy address that makes it so. */
interface Claim {
  readonly system: string;
  readonly ref: PolicyAddressRef;
}

/**
 * KB 321721 method 1: "only one mail system can be authoritative for an SMTP address
 * space"; every other system must pass unknown recipients on so that the authoritative
 * one returns the NDR. Two authoritative systems each bounce the other's users.
 *
 * Systems that are authoritative although they are not the last of the domain's chain are
 * left to shared-authoritative (and default-policy-shared), which say which box to
 * uncheck; this rule reports what remains: two owners that no chain explains.
 */
export const authorityConflict = defineRule({
  id: 'authority-conflict',
  defaultSeverity: 'error',
  description: 'two systems authoritative for the same domain',
  check(ctx) {
    for (const [domain, claims] of claimsByDomain(ctx)) {
      if (claims.length < 2) continue;
      // the last system of the domain's chain is the rightful owner (seed rule 2); else the first claim
      const owner = claims.find((c) => chainPosition(ctx, c.system, domain)?.last === true) ?? claims[0];
      if (!owner) continue;
      const ownerChain = chainPosition(ctx, owner.system, domain);
      const ordered = [owner, ...claims.filter((c) => c !== owner)];
      const count = ordered.length === 2 ? 'two' : String(ordered.length);
      const label = domainLabel(owner.ref.address.domain);
      const why = ownerChain ? `; chain ${q(ownerChain.ref.chain.name)} makes its last system ${q(owner.system)} the authoritative one` : '';
      for (const claim of ordered.slice(1)) {
        ctx.report({
          message: `domain ${label} has ${count} authoritative systems: ${andList(ordered.map((c) => q(c.system)))}${why}`,
          at: addressTarget(claim.ref),
          related: ordered
            .filter((c) => c !== claim)
            .map((c) => ({ message: `${q(c.system)} is authoritative here (policy ${q(c.ref.policy.name)})`, at: addressTarget(c.ref) })),
          ...(ownerChain
            ? {
                fix: {
                  description: `uncheck "This Exchange Organization is responsible for all mail delivery to this address" on ${q(claim.system)}`,
                  yaml: yamlSnippet(addressWith(claim.ref.address, false)),
                },
              }
            : {}),
          data: { domain, system: claim.system, other: owner.system },
        });
      }
    }
  },
});

/**
 * Authoritative systems per domain, from the compiled tables (the authority the simulator
 * uses), each with its first authoritative policy address; non-last chain members left out.
 */
function claimsByDomain(ctx: RuleContext): Map<string, Claim[]> {
  const out = new Map<string, Claim[]>();
  for (const table of routing(ctx).tables.values()) {
    for (const [domain, accepted] of Object.entries(table.domains)) {
      if (accepted.authority !== 'authoritative') continue;
      const pos = chainPosition(ctx, table.system, domain);
      if (pos && !pos.last) continue;
      const ref = addressesOf(ctx, table.system, domain).find((r) => r.address.authoritative);
      if (!ref) continue;
      const list = out.get(domain);
      if (list) list.push({ system: table.system, ref });
      else out.set(domain, [{ system: table.system, ref }]);
    }
  }
  // file order of the claiming addresses, so "the first claim" is the first one written
  for (const list of out.values()) list.sort((a, b) => order(a.ref) - order(b.ref));
  return out;
}

function order(r: PolicyAddressRef): number {
  return (r.address.path[1] as number) * 100_000 + (r.address.path[3] as number);
}

function addressTarget(r: PolicyAddressRef): Target {
  return { path: r.address.path };
}
