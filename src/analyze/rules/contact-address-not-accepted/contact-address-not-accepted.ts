import { q } from '../../../diagnostics/diagnostic.js';
import { didYouMean } from '../../../validate/did-you-mean.js';
import { domainLabel, yamlSnippet } from '../../indexes.js';
import { routing } from '../../routing-index.js';
import { listText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * KB 321721 method 2: a contact's secondary (`smtp:`) addresses "are the addresses in the
 * Exchange organisation's own domain that resolve to the contact" - the internet replies
 * to Exchange, which accepts the address because a recipient policy of the organisation
 * covers its space. A secondary address in a space that the contact's system accepts in
 * no policy never arrives there: the internet's MX for it is elsewhere, and Exchange
 * itself refuses it (554 5.7.1 relay denied).
 */
export const contactAddressNotAccepted = defineRule({
  id: 'contact-address-not-accepted',
  defaultSeverity: 'error',
  description: "a contact's secondary address is in no space its system accepts",
  check(ctx) {
    const { model } = ctx;
    const { tables } = routing(ctx);
    for (const c of model.contacts) {
      // an unknown or missing system is unknown-reference's to report
      const table = c.system !== undefined ? tables.get(c.system) : undefined;
      if (!table) continue;
      const accepted = Object.keys(table.domains);
      for (const p of c.proxyAddresses) {
        // the primary is the targetAddress (contact-primary-mismatch); invalid ones are invalid-address's
        if (p.primary || !p.address.key || p.address.key === c.targetAddress.key) continue;
        const domain = p.address.domain.ascii;
        if (table.domains[domain]) continue;
        const spaces = accepted.length > 0 ? `it accepts ${listText(accepted)}` : 'it accepts no address space';
        // a typo of an accepted space ("xo.on" for "xo.one") gets the corrected list as its fix
        const guess = didYouMean(domain, accepted);
        const i = c.proxyAddresses.indexOf(p);
        const written = (model.config.contacts?.[c.path[1] as number]?.proxyAddresses ?? []) as (string | undefined)[];
        // a value that failed the schema leaves a hole: the list is not rewritten around it
        const intact = written.every((v) => v !== undefined);
        const fixed = guess && intact ? written.map((v = '', j) => (j === i ? `${v.slice(0, v.lastIndexOf('@') + 1)}${guess}` : v)) : undefined;
        ctx.report({
          message: `secondary address ${q(p.address.display)} of contact ${q(c.cn)} is in ${domainLabel(p.address.domain)}, which system ${q(table.system)} does not accept (${spaces}): mail to it never reaches the contact${guess ? `; did you mean ${q(guess)}?` : ''}`,
          at: p.at,
          ...(fixed && guess ? { fix: { description: `use the accepted space ${q(guess)}`, yaml: yamlSnippet({ proxyAddresses: fixed }) } } : {}),
          data: { contact: c.cn, address: p.address.display, system: table.system, domain, ...(guess ? { suggestion: guess } : {}) },
        });
      }
    }
  },
});
