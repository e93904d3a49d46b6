import { q } from '../../../diagnostics/diagnostic.js';
import { yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';

/**
 * KB 321721 method 2: a contact's targetAddress "is also the contact's primary SMTP
 * address", written `SMTP:` in capitals in proxyAddresses (the seed's csvde row:
 * `SMTP:internetUser@remote.domain; smtp:internetuser@xo.one`); every other address is a
 * secondary `smtp:`. Exchange keeps exactly one primary per address type: an `SMTP:` value
 * that is not the targetAddress makes replies go to an address that does not route to the
 * contact's real mailbox, and two of them are refused by the Recipient Update Service.
 */
export const contactPrimaryMismatch = defineRule({
  id: 'contact-primary-mismatch',
  defaultSeverity: 'error',
  description: 'a contact whose primary SMTP address is not its targetAddress, or has two primaries',
  check(ctx) {
    const { model } = ctx;
    for (const c of model.contacts) {
      const target = c.targetAddress;
      // an invalid address is invalid-address's to report
      if (!target.key) continue;
      const primaries = c.proxyAddresses.filter((p) => p.primary && p.address.key);
      if (primaries.length === 0) continue;
      const written = (model.config.contacts?.[c.path[1] as number]?.proxyAddresses ?? []) as (string | undefined)[];
      // the fix: the first primary that is the target stays; every other primary becomes secondary
      const keep = primaries.find((p) => p.address.key === target.key);
      // a value that failed the schema leaves a hole: the list is not rewritten around it
      const intact = written.every((v) => v !== undefined);
      const fixed = written.map((v, j) => {
        const p = c.proxyAddresses[j];
        if (!p?.primary || p === keep) return v;
        return `smtp:${(v ?? '').slice(5)}`;
      });
      if (!keep) fixed.unshift(`SMTP:${target.display}`);
      const fix = intact
        ? {
            fix: {
              description: `keep the targetAddress ${q(target.display)} as the only primary (SMTP:) and make the others secondary (smtp:)`,
              yaml: yamlSnippet({ proxyAddresses: fixed }),
            },
          }
        : {};
      const kept = keep ?? primaries[0];
      for (const p of primaries) {
        if (p !== kept) {
          ctx.report({
            message: `contact ${q(c.cn)} has two primary SMTP addresses: ${q(kept?.address.display ?? '')} and ${q(p.address.display)}; only its targetAddress ${q(target.display)} may be primary`,
            at: p.at,
            related: [{ message: `the other primary address of contact ${q(c.cn)}`, at: kept?.at ?? { path: c.path } }],
            ...fix,
            data: { contact: c.cn, primary: p.address.display, other: kept?.address.display ?? '', targetAddress: target.display, problem: 'two-primaries' },
          });
        } else if (p.address.key !== target.key) {
          ctx.report({
            message: `the primary SMTP address ${q(p.address.display)} of contact ${q(c.cn)} is not its targetAddress ${q(target.display)}`,
            at: p.at,
            related: [{ message: `the targetAddress of contact ${q(c.cn)}`, at: { path: [...c.path, 'targetAddress'] } }],
            ...fix,
            data: { contact: c.cn, primary: p.address.display, targetAddress: target.display, problem: 'not-target' },
          });
        }
      }
    }
  },
});
