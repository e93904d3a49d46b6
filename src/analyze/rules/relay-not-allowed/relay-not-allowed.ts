import type { ConnectorDecl } from '../../../model/model.js';
import { q } from '../../../diagnostics/diagnostic.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { routing } from '../../routing-index.js';
import { defineRule } from '../../rule.js';
import { addressSpacePath, chainDomains, chainPosition, connectorFor, isRemote } from '../../routing-facts.js';

/**
 * KB 321721 method 1 step 4 (sub-step 7) and method 2 step 4: check "Allow messages to
 * be relayed to these domains" on the connector for a shared or remote space. "Because
 * Exchange must also accept mail for the shared space, you must let Exchange relay to
 * this domain": with it, every virtual server of the connector's bridgeheads accepts
 * mail for the space. resolve() enforces it for an accepted domain without authority
 * (step 4: only relay connectors carry mail from other servers). A remote domain the
 * system does not accept needs none: its contacts' targets are routed after the message
 * was accepted for the contact's own address (issue 14; remote-domain-relay warns about
 * the opposite, a connector that relays a remote domain for anyone).
 *
 * Checked: the connector resolve() selects for the domain at a bridgehead that accepts a
 * chained domain or routes a remote one, when it names the domain itself. A "*" connector
 * is not asked to relay (that would be an open relay); chain-order-mismatch reports a
 * "*" connector that carries a chained domain. Connectors of a chain's last system carry
 * nothing for it (it is authoritative): chain-order-mismatch reports those too.
 */
export const relayNotAllowed = defineRule({
  id: 'relay-not-allowed',
  defaultSeverity: 'error',
  description: 'the connector for a shared or remote domain does not allow relay',
  check(ctx) {
    const chained = chainDomains(ctx);
    const reported = new Set<ConnectorDecl>();
    for (const table of routing(ctx).tables.values()) {
      const system = table.system;
      const candidates = new Set([...Object.keys(table.domains), ...table.connectors.flatMap((c) => c.addressSpaces)]);
      for (const domain of candidates) {
        const remote = isRemote(ctx.model, domain);
        // only a domain the system accepts from other servers needs the relay right: a
        // remote domain reached only through contacts is routed after acceptance (step())
        if (!table.domains[domain] || !(remote || chained.has(domain))) continue;
        if (chainPosition(ctx, system, domain)?.last) continue;
        const c = connectorFor(ctx, system, domain);
        if (!c || c.entry.allowRelay || reported.has(c.decl)) continue;
        const space = addressSpacePath(c.decl, domain);
        if (!space) continue;
        reported.add(c.decl);
        const i = c.decl.path[1] as number;
        const written = ctx.model.config.connectors?.[i]?.allowRelay !== undefined;
        const name = c.decl.addressSpaces.find((a) => a.path === space)?.domain;
        const label = name && name !== '*' ? domainLabel(name) : q(domain);
        ctx.report({
          message:
            `connector ${q(c.decl.name)} of ${q(system)} carries ${remote ? 'remote' : 'shared'} domain ${label} but does not allow relaying to it: ` +
            'its bridgeheads do not accept mail for the domain from other servers (554 5.7.1)',
          at: { path: written ? [...c.decl.path, 'allowRelay'] : space },
          fix: {
            description: 'check "Allow messages to be relayed to these domains" (KB 321721 step 4)',
            yaml: yamlSnippet({ allowRelay: true }),
          },
          data: { connector: c.decl.name, system, domain, kind: remote ? 'remote' : 'shared' },
        });
      }
    }
  },
});
