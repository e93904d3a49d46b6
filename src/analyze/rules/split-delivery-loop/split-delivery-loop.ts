import { q } from '../../../diagnostics/diagnostic.js';
import { routeWalk } from '../../route-walk.js';
import { routeText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * Google Workspace split delivery sends every recipient Gmail does not recognise to the
 * secondary server (support.google.com/a/answer/2368153). A secondary that routes its own
 * unknown recipients of the domain back to Google (a relayhost, a transport or catch-all
 * for the domain) sends them round until a hop limit stops them: it must be authoritative
 * and bounce them. Decided by the routing engine: the unknown recipient at Google, walked
 * until a state repeats.
 */
export const splitDeliveryLoop = defineRule({
  id: 'split-delivery-loop',
  defaultSeverity: 'error',
  description: 'Google Workspace split delivery whose secondary server sends unknown recipients back to Google (a loop)',
  check(ctx) {
    const walk = routeWalk(ctx);
    for (const s of ctx.model.systems.values()) {
      const split = s.googleWorkspace?.splitDelivery;
      if (!split) continue;
      for (const d of s.googleWorkspace?.domains ?? []) {
        if (!d.domain.ascii) continue;
        const start = walk.state(s.name, walk.unknownRecipient(d.domain.ascii), false);
        const cycle = start && walk.info(start).cycle;
        if (!cycle || !cycle.states.some((x) => x.system === s.name)) continue;
        const at = cycle.states.findIndex((x) => x.system === s.name);
        const systems = [...cycle.states.slice(at), ...cycle.states.slice(0, at)].map((x) => x.system);
        ctx.report({
          message:
            `split delivery of ${q(s.name)} sends unknown recipients of ${q(d.domain.display)} to ${q(split.to)}, which sends them back: ` +
            `${routeText([...systems, s.name])} until a hop limit stops them; the secondary server must reject them (550 5.1.1)`,
          at: { path: split.path },
          data: { system: s.name, domain: d.domain.ascii, to: split.to, cycle: systems.join(' -> ') },
        });
        break;
      }
    }
  },
});
