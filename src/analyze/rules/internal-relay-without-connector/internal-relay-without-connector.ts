import { q } from '../../../diagnostics/diagnostic.js';
import { cloudDomains } from '../../cloud-domains.js';
import { yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';
import { selectConnector } from '../../../routing/table.js';

/**
 * Exchange Online routes an unknown recipient of an InternalRelay accepted domain "to the
 * outbound connector whose RecipientDomains contain the domain" (docs/exchange-online.md);
 * without one it delivers by the domain's MX, which in a shared space is the tenant itself
 * or the server in front of it: a loop, or mail that never reaches the system holding
 * the recipient. resolve() decides it the same way (exchangeOnlineOut); this rule says why.
 */
export const internalRelayWithoutConnector = defineRule({
  id: 'internal-relay-without-connector',
  defaultSeverity: 'error',
  description: 'an Exchange Online InternalRelay domain has no outbound connector for it',
  check(ctx) {
    for (const { system: s, table, accepted: a, ascii } of cloudDomains(ctx, 'relay')) {
      if (selectConnector(table, ascii, false)) continue;
      const mx = table.cloud?.mx?.[a.domain.ascii];
      const where = mx === undefined ? 'the MX of the domain, outside the file' : mx === s.name ? `its MX, which is ${q(s.name)} itself (a loop)` : `its MX, ${q(mx)}`;
      ctx.report({
        message: `accepted domain ${q(a.domain.display)} of ${q(s.name)} is ${a.type} but no outbound connector has it in recipientDomains: unknown recipients go to ${where}`,
        at: { path: a.path },
        fix: {
          description: `add an outbound connector for ${q(a.domain.display)} to the system that holds its other recipients`,
          yaml: yamlSnippet({ outboundConnectors: [{ name: `To ${a.domain.display}`, recipientDomains: [a.domain.display], to: 'SYSTEM' }] }),
        },
        data: { system: s.name, domain: a.domain.ascii, type: a.type, mx: mx ?? '' },
      });
    }
  },
});
