import { q } from '../../../diagnostics/diagnostic.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { routing } from '../../routing-index.js';
import { defineRule } from '../../rule.js';
import { isRemote } from '../../routing-facts.js';

/**
 * Issue 14: `allowRelay: true` on a connector for a domain that the organisation does not
 * host (declared `remote: true`, or accepted by no system) makes each bridgehead relay
 * every address of that domain for any SMTP client: resolve() forwards anonymous mail for
 * it (seed step 4, "Allow messages to be relayed to these domains"; Exchange 2007+ relays
 * anonymously only to accepted domains, so setup.ps1 makes it one). Contacts need no relay
 * right: their target is routed after the message was accepted for the contact's own
 * address. The file says relaying is intended when the bridgehead accepts the domain with
 * a policy of its own (the seed's method 2 mail switch, step 1); then nothing is reported.
 */
export const remoteDomainRelay = defineRule({
  id: 'remote-domain-relay',
  defaultSeverity: 'warning',
  description: 'a connector allows relaying to a domain the organisation does not host, for anyone',
  check(ctx) {
    const { model } = ctx;
    const { tables } = routing(ctx);
    const acceptedSomewhere = new Set<string>();
    for (const t of tables.values()) for (const d of Object.keys(t.domains)) acceptedSomewhere.add(d);
    for (const c of model.connectors) {
      if (!c.allowRelay) continue;
      for (const space of c.addressSpaces) {
        const name = space.domain;
        // "*" never relays anonymous mail (selectConnector); invalid spaces are other rules'
        if (name === '*') continue;
        const d = name.ascii;
        if (!d || !(isRemote(model, d) || !acceptedSomewhere.has(d))) continue;
        const relaying = c.systems.filter((s) => tables.get(s) !== undefined && tables.get(s)?.domains[d] === undefined);
        if (relaying.length === 0) continue;
        const i = c.path[1] as number;
        const written = model.config.connectors?.[i]?.allowRelay !== undefined;
        ctx.report({
          message:
            `connector ${q(c.name)} allows relaying to ${domainLabel(name)}, which the organisation does not host: ` +
            `${relaying.map(q).join(', ')} relay${relaying.length === 1 ? 's' : ''} mail for every address of it from anyone on the internet; ` +
            'contacts need no relay right to their target',
          at: { path: written ? [...c.path, 'allowRelay'] : space.path },
          fix: { description: 'remove the relay right (or accept the domain with a policy if the system is its mail switch)', yaml: yamlSnippet({ allowRelay: false }) },
          data: { connector: c.name, domain: d, systems: relaying.join(', ') },
        });
      }
    }
  },
});
