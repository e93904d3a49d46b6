import { q } from '../../../diagnostics/diagnostic.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { routing } from '../../routing-index.js';
import { defineRule, type RuleContext } from '../../rule.js';
import { addressesOf, chainPosition, connectorFor, isRemote, tableOf } from '../../routing-facts.js';

/**
 * KB 321721 method 1, step 4: "if you do not add an SMTP connector with the shared
 * address space, [mail for it] is treated as a relay attempt" and refused (554 5.7.1).
 * resolve() decides the same way (step 4d): a domain accepted without authority needs a
 * connector (its own address space or "*") for the recipients the system does not hold.
 *
 * Not reported: the last system of a chain (chain-without-authority says it must be
 * authoritative instead), a system outside any chain whose forwardUnresolvedTo takes the
 * mail (resolve() step 4b; in a chain unresolved-forwarding asks to clear it, so it does
 * not count there), a domain that no system owns and no chain or `remote: true` explains
 * (no-authority: a connector alone would not make it right), and systems with a connector
 * for the domain that other rules already reject (unknown `to`, invalid smart hosts or
 * address spaces). Not the cloud kinds either: Exchange Online delivers by MX where no
 * connector carries the domain (internal-relay-without-connector).
 */
export const missingConnector = defineRule({
  id: 'missing-connector',
  defaultSeverity: 'error',
  description: 'a system accepts a domain non-authoritatively but has no connector for it (relay refused)',
  check(ctx) {
    const inChain = new Set(ctx.model.chains.flatMap((c) => c.order));
    const tables = [...routing(ctx).tables.values()];
    const owned = new Set(tables.flatMap((t) => Object.keys(t.domains).filter((d) => t.domains[d]?.authority === 'authoritative')));
    for (const table of tables) {
      const system = table.system;
      // the cloud kinds route an unknown recipient by MX, not refuse it: internal-relay-without-connector
      if (table.kind === 'exchange-online' || table.kind === 'google-workspace') continue;
      for (const [domain, accepted] of Object.entries(table.domains)) {
        if (accepted.authority !== 'internal-relay') continue;
        const pos = chainPosition(ctx, system, domain);
        if (pos?.last) continue;
        if (table.unresolved && !inChain.has(system)) continue;
        if (!pos && !isRemote(ctx.model, domain) && !owned.has(domain)) continue;
        if (connectorFor(ctx, system, domain) || hasBrokenConnector(ctx, system, domain)) continue;
        const first = addressesOf(ctx, system, domain)[0];
        if (!first) continue;
        const name = first.address.domain;
        const next = pos?.next;
        ctx.report({
          message:
            `${q(system)} accepts domain ${domainLabel(name)} without authority (policy ${q(first.policy.name)}) but has no connector for it: ` +
            `mail for recipients it does not hold is refused as a relay attempt (554 5.7.1)`,
          at: { path: first.address.path },
          ...(pos ? { related: [{ message: `${q(system)} passes ${q(name.display)} on in chain ${q(pos.ref.chain.name)}`, at: { path: ['chains', pos.ref.index, 'order', pos.position] } }] } : {}),
          ...(next !== undefined
            ? {
                fix: {
                  description: `add a connector (under connectors:) that sends ${q(name.display)} to ${q(next)}, the next system of chain ${q(pos?.ref.chain.name ?? '')} (KB 321721 step 4)`,
                  yaml: yamlSnippet({ name: `To ${next}`, system, addressSpaces: [name.display], to: next, allowRelay: true }),
                },
              }
            : {}),
          data: { system, domain, policy: first.policy.name, ...(next !== undefined ? { next } : {}) },
        });
      }
    }
  },
});

/**
 * A connector of `system` that may carry the domain but that the routing tables left out
 * (unknown `to`, no valid smart host) or that has an invalid address space: the finding
 * of unknown-reference or invalid-address comes first.
 */
function hasBrokenConnector(ctx: RuleContext, system: string, domain: string): boolean {
  const compiled = new Set(tableOf(ctx, system)?.connectors.map((e) => e.name));
  return ctx.model.connectors.some((c) => {
    if (!c.systems.includes(system)) return false;
    const invalid = c.addressSpaces.some((a) => a.domain !== '*' && !a.domain.ascii);
    const covers = c.addressSpaces.some((a) => a.domain === '*' || a.domain.ascii === domain);
    return invalid || (covers && !compiled.has(c.name));
  });
}
