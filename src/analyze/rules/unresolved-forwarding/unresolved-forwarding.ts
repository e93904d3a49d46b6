import { q } from '../../../diagnostics/diagnostic.js';
import { yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';

/**
 * KB 321721 method 1 and method 2, step 3: clear "Forward all mail with unresolved
 * recipients to host" on the SMTP virtual server (Postfix: no luser_relay or
 * fallback_transport into the shared domain). A system of a chain passes unknown
 * recipients on with its connector for the shared domain and the last one bounces them;
 * a catch-all host overrides both (resolve() consults it before authority and
 * connectors), and on the last system it sends them back towards the gateway: a loop.
 */
export const unresolvedForwarding = defineRule({
  id: 'unresolved-forwarding',
  defaultSeverity: 'error',
  description: '`forwardUnresolvedTo` set on a system that is part of a chain',
  check(ctx) {
    for (const system of ctx.model.systems.values()) {
      const target = system.forwardUnresolvedTo;
      if (target === null) continue;
      // membership is enough: the other systems of the chain need not be valid for this to be wrong
      const chain = ctx.model.chains.find((c) => c.order.includes(system.name));
      if (!chain) continue;
      const position = chain.order.indexOf(system.name);
      const last = position === chain.order.length - 1;
      const why = last
        ? 'as the last system it must bounce unknown recipients, not send them back towards the gateway (a loop)'
        : 'unknown recipients must go on along the chain by its connector';
      ctx.report({
        message: `${q(system.name)} forwards unresolved recipients to ${q(target)} but is part of chain ${q(chain.name)}: ${why}`,
        at: { path: [...system.path, 'forwardUnresolvedTo'], key: true },
        related: [{ message: `${q(system.name)} is system ${position + 1} of ${chain.order.length} in chain ${q(chain.name)}`, at: { path: [...chain.path, 'order', position] } }],
        fix: {
          description: 'clear "Forward all mail with unresolved recipients to host" (KB 321721 step 3)',
          yaml: yamlSnippet({ forwardUnresolvedTo: null }),
        },
        data: { system: system.name, chain: chain.name, target },
      });
    }
  },
});
