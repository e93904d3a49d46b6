import { USE_NOUNS, domainLabel, domainUses, formatCount, rejectedDomains, yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';

/**
 * An address space used but not declared under `domains`. The declaration is where a domain
 * says whether it is remote (method 2) and what it is for; every other rule compares
 * against it, so a typo in one place ("exmaple.com") becomes this finding instead of a
 * silently separate domain. Reported once per domain and kind of use, at the first use:
 * 100,000 mailboxes in an undeclared domain are one finding, not 100,000.
 */
export const undeclaredDomain = defineRule({
  id: 'undeclared-domain',
  defaultSeverity: 'error',
  description: 'an address space used but not declared under `domains`',
  check(ctx) {
    const declared = ctx.model.domains;
    const rejected = rejectedDomains(ctx);
    for (const [ascii, groups] of domainUses(ctx)) {
      if (declared.has(ascii) || rejected.has(ascii)) continue;
      for (const g of groups) {
        const more = g.count - 1;
        const tail = more > 0 ? ` (and ${formatCount(more)} more ${USE_NOUNS[g.kind][more === 1 ? 0 : 1]})` : '';
        // the fix declares the domain as first written, lower-cased: `Example.COM` -> `example.com`
        const name = g.domain.display.replace(/\.$/, '').toLowerCase();
        ctx.report({
          message: `domain ${domainLabel(g.domain)} is not declared under domains: used by ${g.what}${tail}`,
          at: g.at,
          fix: { description: `declare ${domainLabel(g.domain)} under domains`, yaml: yamlSnippet({ domains: { [name]: {} } }) },
          data: { domain: ascii, kind: g.kind, uses: String(g.count) },
        });
      }
    }
  },
});
