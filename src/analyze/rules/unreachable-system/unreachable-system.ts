import { q } from '../../../diagnostics/diagnostic.js';
import { entryGateways } from '../../routing-facts.js';
import { routing } from '../../routing-index.js';
import { routeWalk, type WalkState } from '../../route-walk.js';
import { domainText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * KB 321721: "the gateway resolves each recipient against its own directory; otherwise it
 * passes the message on to the next system that shares the domain" - every system of a
 * chain exists to receive what the systems before it could not resolve. A system that no
 * route from the gateway reaches (an unknown recipient, and every recipient the file
 * names, of each of the chain's domains) receives none of the chain's mail: its users
 * get nothing from the internet, usually because a connector skips it or an earlier
 * system is authoritative.
 */
export const unreachableSystem = defineRule({
  id: 'unreachable-system',
  defaultSeverity: 'warning',
  description: 'a system in a chain that mail from the gateway never reaches',
  check(ctx) {
    const { model } = ctx;
    const { tables } = routing(ctx);
    const walk = routeWalk(ctx);
    for (const chain of model.chains) {
      // unknown systems and invalid domains are reported by unknown-reference and invalid-address
      if (chain.order.some((s) => !tables.has(s)) || chain.domains.some((d) => !d.domain.ascii)) continue;
      const reached = new Set<string>();
      const seen = new Set<WalkState>();
      const gateways = new Set<string>();
      for (const { domain } of chain.domains) {
        for (const gateway of entryGateways(ctx, domain.ascii)) {
          gateways.add(gateway.system);
          for (const r of [walk.unknownRecipient(domain.ascii), ...walk.namedRecipients(domain.ascii)]) {
            // routes merge: a state already walked has marked everything after it
            let s: WalkState | undefined = walk.state(gateway.system, r, false);
            while (s && !seen.has(s)) {
              seen.add(s);
              reached.add(s.system);
              const e = walk.step(s);
              s = e.kind === 'forward' || e.kind === 'rewrite' ? e.next : undefined;
            }
          }
        }
      }
      if (gateways.size === 0) continue; // no gateway at all: no mail from the internet to speak of
      const from = [...gateways].sort();
      const domains = chain.domains.map((d) => domainText(model, d.domain.ascii)).join(', ');
      chain.order.forEach((system, i) => {
        if (reached.has(system)) return;
        ctx.report({
          message: `system ${q(system)} of chain ${q(chain.name)} never receives mail for ${domains} from the gateway ${from.map(q).join(', ')}: no route of an unknown or a known recipient passes it`,
          at: { path: [...chain.path, 'order', i] },
          data: { system, chain: chain.name, gateway: from.join(', '), domains: chain.domains.map((d) => d.domain.ascii).join(', ') },
        });
      });
    }
  },
});
