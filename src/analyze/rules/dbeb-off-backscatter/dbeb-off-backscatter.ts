import { q } from '../../../diagnostics/diagnostic.js';
import { cloudDomains } from '../../cloud-domains.js';
import { yamlSnippet } from '../../indexes.js';
import { routeWalk } from '../../route-walk.js';
import { defineRule } from '../../rule.js';

/**
 * An InternalRelay accepted domain has no Directory-Based Edge Blocking: Exchange Online
 * accepts every address of it and hands the unknown ones to the outbound connector's next
 * hop. Where that next hop does not reject them at RCPT itself (it accepts and bounces
 * later, passes them on, or takes any address), the non-delivery report goes to the
 * envelope sender, usually forged: backscatter. Microsoft's answer is DBEB: make the domain
 * Authoritative with every recipient known in the tenant (docs/exchange-online.md).
 * Decided by the routing engine: the unknown recipient from the internet at the tenant,
 * one step, then what the next system does with it.
 */
export const dbebOffBackscatter = defineRule({
  id: 'dbeb-off-backscatter',
  defaultSeverity: 'warning',
  description: 'Exchange Online without edge blocking in front of a next hop that does not reject unknown recipients at RCPT (backscatter)',
  check(ctx) {
    const walk = routeWalk(ctx);
    for (const { system: s, accepted: a, ascii } of cloudDomains(ctx, 'relay')) {
      if (!s.gateway) continue;
      const start = walk.state(s.name, walk.unknownRecipient(ascii), false);
      const edge = start && walk.step(start);
      if (edge?.kind !== 'forward') continue;
      const next = edge.next;
      const then = walk.step(next);
      if (then.decision.kind === 'refuse' || then.kind === 'self') continue;
      const what = then.decision.kind === 'forward' || then.kind === 'forward' ? 'passes them on' : then.decision.kind === 'deliver' ? 'takes them as local mailboxes' : 'does not refuse them';
      ctx.report({
        message:
          `accepted domain ${q(a.domain.display)} of ${q(s.name)} is ${a.type} (no Directory-Based Edge Blocking) and its next hop ${q(next.system)} ${what} ` +
          `instead of rejecting unknown recipients at RCPT: non-delivery reports go to forged senders (backscatter)`,
        at: { path: a.path },
        fix: {
          description: `make ${q(a.domain.display)} Authoritative and list the recipients of the other systems as mail users, or have ${q(next.system)} reject unknown recipients at RCPT`,
          yaml: yamlSnippet({ [a.domain.display]: 'Authoritative' }),
        },
        data: { system: s.name, domain: a.domain.ascii, next: next.system },
      });
    }
  },
});
