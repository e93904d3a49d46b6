import type { Target } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import { yamlSnippet } from '../../indexes.js';
import { entryGateways } from '../../routing-facts.js';
import { routing } from '../../routing-index.js';
import type { Decision } from '../../../routing/resolve.js';
import { routeWalk, type RouteWalk, type WalkState } from '../../route-walk.js';
import { domainText, listText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * What the seed leaves out (domain.md, "Backscatter"): a gateway that accepts every
 * address of a shared domain and lets a later system of the chain bounce the unknown ones
 * sends non-delivery reports to forged senders. Where every system of the chain lists its
 * recipients the gateway can reject unknown ones at RCPT time (Postfix
 * relay_recipient_maps; `rejectUnknownAtGateway`, the default then); where some do not,
 * the finding names them. An Exchange gateway cannot for an InternalRelay domain (its
 * Recipient Filter agent validates authoritative domains only), so the engine predicts
 * that it accepts and forwards them, and the finding says so. Decided by the routing engine: an unknown recipient from the
 * internet, at every gateway that accepts the domain, that is accepted there and bounced
 * (or taken on trust by a system that does not list its recipients) further on.
 */
export const backscatterRisk = defineRule({
  id: 'backscatter-risk',
  defaultSeverity: 'warning',
  description: 'a gateway accepts unknown recipients of a shared domain and a later system bounces them',
  check(ctx) {
    const { model } = ctx;
    const { tables } = routing(ctx);
    const walk = routeWalk(ctx);
    for (const chain of model.chains) {
      if (chain.order.some((s) => !tables.has(s)) || chain.domains.some((d) => !d.domain.ascii)) continue;
      const risky: { domain: string; gateway: string; system: string; status: string }[] = [];
      for (const { domain } of chain.domains) {
        for (const gateway of entryGateways(ctx, domain.ascii)) {
          const end = routeEnd(walk, walk.state(gateway.system, walk.unknownRecipient(domain.ascii), false));
          if (!end || end.state.system === gateway.system) continue;
          const d = end.decision;
          // a system that does not list its recipients is assumed to deliver; really it bounces
          const assumed = d.kind === 'deliver' && !end.state.table.listsRecipients;
          if (d.kind !== 'refuse' && !assumed) continue;
          risky.push({ domain: domain.ascii, gateway: gateway.system, system: end.state.system, status: d.kind === 'refuse' ? d.status : '5.1.1' });
        }
      }
      const first = risky[0];
      if (!first) continue;
      const unlisted = chain.order.filter((s) => tables.get(s)?.listsRecipients === false);
      const explicit = chain.rejectUnknownAtGateway === false;
      const at: Target = explicit ? { path: [...chain.path, 'rejectUnknownAtGateway'] } : { path: [...chain.path, 'order'] };
      // a cloud gateway has no rejectUnknownAtGateway to turn on (its table never rejects for
      // the chain); Exchange's Recipient Filter agent looks recipients up for authoritative
      // domains only (docs/exchange.md, "Recipient validation"): an InternalRelay gateway accepts them all
      const gw = tables.get(first.gateway);
      const kind = gw?.kind;
      const cloud = kind === 'exchange-online' || kind === 'google-workspace';
      const exchange = !cloud && unlisted.length === 0 && kind === 'exchange' && gw?.domains[first.domain]?.authority === 'internal-relay';
      const why = cloud
        ? `${q(first.gateway)} is a cloud service (${kind}): it knows its own directory only and cannot reject the chain's unknown recipients at RCPT`
        : unlisted.length > 0
          ? `${listText(unlisted)} ${unlisted.length === 1 ? 'does' : 'do'} not list ${unlisted.length === 1 ? 'its' : 'their'} recipients (mailboxes or mailboxFiles), so the gateway cannot tell unknown ones`
          : exchange
            ? 'Exchange cannot reject unknown recipients of an InternalRelay domain at RCPT (its Recipient Filter agent looks up recipients of authoritative domains only): ' +
              'put a gateway that does (Postfix relay_recipient_maps, the chainmail relay) in front of it, or make Exchange the last system of the chain'
            : 'rejectUnknownAtGateway is false';
      const domains = risky.map((r) => domainText(model, r.domain)).join(', ');
      ctx.report({
        message:
          `gateway ${q(first.gateway)} accepts mail for unknown recipients of ${domains} and ${q(first.system)} bounces it later ` +
          `(${first.status}): non-delivery reports go to forged senders (backscatter); ${why}`,
        at,
        ...(!exchange && !cloud && unlisted.length === 0
          ? {
              fix: {
                description: `reject unknown recipients at the gateway ${q(first.gateway)} at RCPT time (Postfix relay_recipient_maps)`,
                yaml: yamlSnippet({ rejectUnknownAtGateway: true }),
              },
            }
          : {}),
        data: {
          chain: chain.name,
          gateway: first.gateway,
          system: first.system,
          domains: risky.map((r) => r.domain).join(', '),
          unlisted: unlisted.join(', '),
          ...(exchange ? { exchange: 'internal-relay' } : {}),
        },
      });
    }
  },
});

/** Where a route ends: the last state and its decision (undefined for a loop: forwarding-loop's). */
function routeEnd(walk: RouteWalk, start: WalkState | undefined): { state: WalkState; decision: Decision } | undefined {
  if (!start || walk.info(start).cycle) return undefined;
  let s = start;
  for (;;) {
    const e = walk.step(s);
    if (e.kind === 'end') return { state: s, decision: e.decision };
    if (e.kind === 'self') return undefined;
    s = e.next;
  }
}
