import { q } from '../../../diagnostics/diagnostic.js';
import { resolve, selectConnector } from '../../../routing/resolve.js';
import { yamlSnippet } from '../../indexes.js';
import { routing } from '../../routing-index.js';
import { domainText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * KB 321721 method 2: Exchange "resolves the address to the contact's secondary address
 * and routes the message to the contact's targetAddress through an SMTP connector for the
 * remote domain" (step 4: one connector per remote domain, smart host in brackets, relay
 * allowed). The rewrite happens at the contact's system and the target is then routed like
 * the mail that arrived there from the internet: without a connector that allows relaying
 * to its domain, Exchange refuses it (554 5.7.1), exactly as resolve() decides.
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
      const d = resolve(table, target.key, { origin: 'peer', received: 0 });
      if (d.kind !== 'refuse') continue;
      const domain = target.domain.ascii;
      const accepted = table.domains[domain];
      // a connector that carries the domain but does not allow relaying (seed step 4's box)
      const closed = d.status === '5.7.1' ? selectConnector(table, domain, false) : undefined;
      const base = `targetAddress ${q(target.display)} of contact ${q(c.cn)} cannot be routed from system ${q(table.system)}`;
      let why: string;
      let problem: string;
      if (closed) {
        why = `connector ${q(closed.name)} carries ${domainText(model, domain)} but does not allow relaying, so mail for the contact is refused (${d.status})`;
        problem = 'relay-not-allowed';
      } else if (d.status !== '5.7.1') {
        why = `no recipient of ${domainText(model, domain)} has that address there, and the system refuses it (${d.status})`;
        problem = 'unknown-recipient';
      } else if (accepted) {
        why = `it accepts ${domainText(model, domain)} without authority but no connector carries it (${d.status})`;
        problem = 'no-connector';
      } else {
        why = `no connector of the system carries ${domainText(model, domain)}, so mail for the contact is refused as relaying (${d.status})`;
        problem = 'no-connector';
      }
      const connector = closed ? model.connectors.find((x) => x.name === closed.name && x.systems.includes(table.system)) : undefined;
      ctx.report({
        message: `${base}: ${why}`,
        at: { path: [...c.path, 'targetAddress'] },
        ...(connector ? { related: [{ message: `connector ${q(connector.name)} does not allow relay`, at: { path: connector.path } }] } : {}),
        ...(connector ? { fix: { description: `allow relaying on connector ${q(connector.name)} (KB 321721 step 4)`, yaml: yamlSnippet({ allowRelay: true }) } } : {}),
        data: { contact: c.cn, targetAddress: target.display, system: table.system, domain, problem, ...(closed ? { connector: closed.name } : {}) },
      });
    }
  },
});
