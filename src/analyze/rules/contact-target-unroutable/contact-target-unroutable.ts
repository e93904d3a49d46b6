import { q } from '../../../diagnostics/diagnostic.js';
import { resolve } from '../../../routing/resolve.js';
import { routing } from '../../routing-index.js';
import { domainText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * KB 321721 method 2: Exchange "resolves the address to the contact's secondary address
 * and routes the message to the contact's targetAddress through an SMTP connector for the
 * remote domain" (step 4: one connector per remote domain, smart host in brackets). The
 * rewrite happens at the contact's system once it has accepted the message for the
 * contact's address, and the target is routed as the system's own mail (resolve() with
 * origin 'local', as step() routes a rewrite): no relay right is needed, but a connector
 * is. Exchange 2007+ sends mail for which no send connector matches to its Unreachable
 * queue (docs/exchange.md), so a target that would leave only by an MX lookup, or that
 * the system refuses (an unknown recipient of its own space, an accepted space with no
 * connector), is reported.
 */
export const contactTargetUnroutable = defineRule({
  id: 'contact-target-unroutable',
  defaultSeverity: 'error',
  description: "no connector on the contact's system routes the targetAddress's domain",
  check(ctx) {
    const { model } = ctx;
    const { tables } = routing(ctx);
    for (const c of model.contacts) {
      const table = c.system !== undefined ? tables.get(c.system) : undefined;
      const target = c.targetAddress;
      // unknown systems and invalid addresses are other rules' findings
      if (!table || !target.key) continue;
      const d = resolve(table, target.key, { origin: 'local', received: 0 });
      if (d.kind !== 'refuse' && d.kind !== 'external') continue;
      const domain = target.domain.ascii;
      const base = `targetAddress ${q(target.display)} of contact ${q(c.cn)} cannot be routed from system ${q(table.system)}`;
      let why: string;
      let problem: string;
      // Exchange: no send connector covers the domain, the Unreachable queue (5.4.4)
      if (d.kind === 'external' || d.status === '5.4.4') {
        why = `no connector of the system carries ${domainText(model, domain)}: add one (KB 321721 method 2 step 4)`;
        problem = 'no-connector';
      } else if (d.status !== '5.7.1') {
        why = `no recipient of ${domainText(model, domain)} has that address there, and the system refuses it (${d.status})`;
        problem = 'unknown-recipient';
      } else {
        why = `it accepts ${domainText(model, domain)} without authority but no connector carries it (${d.status})`;
        problem = 'no-connector';
      }
      ctx.report({
        message: `${base}: ${why}`,
        at: { path: [...c.path, 'targetAddress'] },
        data: { contact: c.cn, targetAddress: target.display, system: table.system, domain, problem },
      });
    }
  },
});
