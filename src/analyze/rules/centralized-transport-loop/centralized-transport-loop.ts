import { q } from '../../../diagnostics/diagnostic.js';
import { routing } from '../../routing-index.js';
import { routeWalk } from '../../route-walk.js';
import { defineRule } from '../../rule.js';

/** A domain that no system of any file accepts: where "the internet" is for the walk. */
const INTERNET = 'internet.invalid';

/**
 * Centralized mail transport (an outbound connector with RouteAllMessagesViaOnPremises)
 * sends every message the tenant sends to the internet to the on-premises server. If that
 * server sends its internet mail back to the tenant (a "*" connector, or one for the
 * domain, to Exchange Online), the tenant, which takes mail from its inbound connector as
 * its own, sends it on-premises again: a loop (docs/exchange-online.md). Reported where
 * the routing engine walks an internet recipient round, or where the connector's target
 * has a "*" connector back to the tenant (an authenticated hybrid receive connector relays
 * what chainmail's anonymous-peer model would refuse).
 */
export const centralizedTransportLoop = defineRule({
  id: 'centralized-transport-loop',
  defaultSeverity: 'error',
  description: 'centralized mail transport combined with a connector that brings the mail back to Exchange Online (a loop)',
  check(ctx) {
    const walk = routeWalk(ctx);
    const { tables } = routing(ctx);
    for (const s of ctx.model.systems.values()) {
      const cmt = s.exchangeOnline?.outbound.find((c) => c.centralizedMailTransport);
      if (!cmt || !tables.has(s.name)) continue;
      const start = walk.state(s.name, { key: `someone@${INTERNET}`, local: 'someone', domain: INTERNET }, true);
      const cycle = start && walk.info(start).cycle;
      const target = cmt.to;
      const back = ctx.model.connectors.find((c) => target !== undefined && c.systems.includes(target) && c.to === s.name && c.addressSpaces.some((a) => a.domain === '*'));
      if (!cycle && !back) continue;
      ctx.report({
        message:
          `outbound connector ${q(cmt.name)} of ${q(s.name)} sends all internet mail through ${q(target ?? cmt.smartHosts[0]?.raw ?? '')} (centralized mail transport), ` +
          `which sends it back to ${q(s.name)}: a loop`,
        at: { path: [...cmt.path, 'centralizedMailTransport'] },
        ...(back ? { related: [{ message: `connector ${q(back.name)} sends every domain back to ${q(s.name)}`, at: { path: back.path } }] } : {}),
        data: { system: s.name, connector: cmt.name, back: back?.name ?? '' },
      });
    }
  },
});
