import type { Path } from '../../../diagnostics/diagnostic.js';
import { domainRecords, lookupCount, spfRecordsOf } from '../../dns-facts.js';
import { domainText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/** RFC 7208 4.6.4: at most 10 mechanisms and modifiers that query DNS per SPF check. */
const LIMIT = 10;

/**
 * An SPF check may cause at most 10 DNS queries by include, a, mx, ptr, exists and
 * redirect (RFC 7208 4.6.4); beyond that the result is `permerror`, which DMARC treats as
 * a fail. Counted over the record chainmail builds from the sending systems and over the
 * published one, into include: targets chainmail builds itself; a provider's include:
 * counts 1 and makes the total a lower bound ("at least").
 */
export const spfTooManyLookups = defineRule({
  id: 'spf-too-many-lookups',
  defaultSeverity: 'error',
  description: 'an SPF record needs more than the 10 DNS lookups RFC 7208 allows',
  check(ctx) {
    const { model } = ctx;
    for (const r of domainRecords(ctx).values()) {
      for (const spf of spfRecordsOf(r)) {
        const n = lookupCount(ctx, spf.domain, spf.terms);
        if (n.count <= LIMIT) continue;
        const which = spf.published ? 'the published SPF record' : 'the SPF record built from the sending systems';
        const at: Path = spf.published ? (r.decl.dns.published.spf?.path ?? r.decl.path) : r.decl.path;
        const hasA = spf.terms.some((t) => t.name === 'a' && !spf.published);
        ctx.report({
          message: `${which} of ${domainText(model, r.domain)} needs ${n.exact ? '' : 'at least '}${n.count} DNS lookups (${n.terms.slice(0, 4).join(' ')}${n.terms.length > 4 ? ` and ${n.terms.length - 4} more` : ''}), more than the ${LIMIT} of RFC 7208 4.6.4: receivers return permerror and DMARC fails`,
          at: { path: at, key: !spf.published },
          ...(hasA
            ? { fix: { description: 'list the sending systems by address (sends.ip) and flatten the record', yaml: 'spf: { flatten: true }' } }
            : {}),
          data: { domain: r.domain, count: String(n.count), exact: String(n.exact), published: String(spf.published) },
        });
      }
    }
  },
});
