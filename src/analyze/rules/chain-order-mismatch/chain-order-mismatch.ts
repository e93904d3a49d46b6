import type { Fix } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import type { ConnectorDecl, DomainName } from '../../../model/model.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { defineRule, type RuleContext } from '../../rule.js';
import { addressSpacePath, chainPosition, connectorDecl, connectorFor, hopName, nextHopPath, tableOf, validChains, type ChainRef } from '../../routing-facts.js';

/**
 * KB 321721 method 1: the systems that share a space form a chain; "the first forwards
 * unresolved recipients to the second, the second to the third", and the last returns the
 * NDR. The connector for the shared space (step 4) is the link: it must reach the next
 * system of the chain. One that reaches another system skips or repeats part of the
 * chain; the last system has no next one, so any connector of it to a system of the file
 * for the chain's domain is a mismatch (where that closes a loop, forwarding-loop prints
 * the cycle as well).
 *
 * The connector compared is the one resolve() selects (a specific address space before
 * "*"). A connector that names the domain and goes to a host that is no system of the
 * file is left to connector-leaves-organization (the host may be the next system under
 * another name); a "*" connector that carries the shared domain out is a mismatch.
 */
export const chainOrderMismatch = defineRule({
  id: 'chain-order-mismatch',
  defaultSeverity: 'error',
  description: 'a connector sends a chained domain somewhere other than the next system of the chain',
  check(ctx) {
    const reported = new Set<ConnectorDecl>();
    for (const ref of validChains(ctx)) {
      for (const [domain, name] of ref.domains) {
        ref.chain.order.forEach((system, position) => {
          if (chainPosition(ctx, system, domain)?.ref !== ref) return;
          const next = ref.chain.order[position + 1];
          if (next === undefined) lastSystem(ctx, ref, system, position, domain, name, reported);
          else middleSystem(ctx, ref, system, position, next, domain, name, reported);
        });
      }
    }
  },
});

function middleSystem(
  ctx: RuleContext,
  ref: ChainRef,
  system: string,
  position: number,
  next: string,
  domain: string,
  name: DomainName,
  reported: Set<ConnectorDecl>,
): void {
  const c = connectorFor(ctx, system, domain);
  // no connector: missing-connector's finding
  if (!c || c.entry.nextHop.system === next || reported.has(c.decl)) return;
  const explicit = addressSpacePath(c.decl, domain);
  if (explicit && c.entry.nextHop.system === undefined) return;
  reported.add(c.decl);
  const chain = ref.chain;
  const to = hopName(c.entry);
  const fix: Fix = explicit
    ? {
        description: `${c.decl.to === undefined ? 'replace smartHosts with to: ' : 'send it to '}${q(next)}, the next system of chain ${q(chain.name)}`,
        yaml: yamlSnippet({ to: next }),
      }
    : {
        description: `add a connector (under connectors:) for ${q(name.display)} to ${q(next)}, the next system of chain ${q(chain.name)}, so that "*" no longer carries it (KB 321721 step 4)`,
        yaml: yamlSnippet({ name: `To ${next}`, system, addressSpaces: [name.display], to: next, allowRelay: true }),
      };
  ctx.report({
    message:
      `connector ${q(c.decl.name)}${explicit ? '' : ' (address space "*")'} sends domain ${domainLabel(name)} from ${q(system)} to ${q(to)}, ` +
      `but the next system of chain ${q(chain.name)} is ${q(next)}`,
    at: { path: explicit ? nextHopPath(c.decl) : (c.decl.addressSpaces.find((a) => a.domain === '*')?.path ?? c.decl.path) },
    related: [{ message: `the next system after ${q(system)} in chain ${q(chain.name)}`, at: { path: ['chains', ref.index, 'order', position + 1] } }],
    fix,
    data: { connector: c.decl.name, system, domain, chain: chain.name, expected: next, actual: to },
  });
}

/** The last system is authoritative: every connector of it for the domain to a system of the file is wrong. */
function lastSystem(ctx: RuleContext, ref: ChainRef, system: string, position: number, domain: string, name: DomainName, reported: Set<ConnectorDecl>): void {
  const chain = ref.chain;
  for (const entry of tableOf(ctx, system)?.connectors ?? []) {
    if (!entry.addressSpaces.includes(domain) || entry.nextHop.system === undefined) continue;
    const decl = connectorDecl(ctx, system, entry.name);
    if (!decl || reported.has(decl)) continue;
    reported.add(decl);
    const rest = decl.addressSpaces.filter((a) => a.domain === '*' || a.domain.ascii !== domain).map((a) => (a.domain === '*' ? '*' : a.domain.display));
    ctx.report({
      message:
        `connector ${q(decl.name)} sends domain ${domainLabel(name)} from ${q(system)} to ${q(entry.nextHop.system)}, ` +
        `but ${q(system)} is the last system of chain ${q(chain.name)}: it must deliver or bounce the domain's mail, not pass it on`,
      at: { path: nextHopPath(decl) },
      related: [{ message: `${q(system)} is the last system of chain ${q(chain.name)}`, at: { path: ['chains', ref.index, 'order', position] } }],
      // a connector that carries only this domain is removed as a whole: no YAML to write
      ...(rest.length > 0 ? { fix: { description: `remove ${q(name.display)} from the connector's address spaces`, yaml: yamlSnippet({ addressSpaces: rest }) } } : {}),
      data: { connector: decl.name, system, domain, chain: chain.name, expected: '', actual: entry.nextHop.system },
    });
  }
}
