import { domainLabel, domainUses } from '../../indexes.js';
import { defineRule } from '../../rule.js';

/**
 * A declared domain that no policy, connector, chain, mailbox, alias or contact uses.
 * Usually a leftover after a migration or a typo in the place that should use it; either
 * way no artifact mentions it, so the declaration promises something the build does not do.
 */
export const unusedDomain = defineRule({
  id: 'unused-domain',
  defaultSeverity: 'warning',
  description: 'a declared domain that nothing uses',
  check(ctx) {
    const uses = domainUses(ctx);
    for (const [ascii, decl] of ctx.model.domains) {
      // invalid names are stored under a NUL-prefixed key; invalid-address reports them
      if (!decl.name.ascii || uses.has(ascii)) continue;
      ctx.report({
        message: `domain ${domainLabel(decl.name)} is declared but nothing uses it: add the policy, connector or chain that uses it, or remove it`,
        at: { path: decl.path, key: true },
        data: { domain: ascii },
      });
    }
  },
});
