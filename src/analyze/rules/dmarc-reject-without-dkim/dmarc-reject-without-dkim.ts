import { q } from '../../../diagnostics/diagnostic.js';
import { dmarcPolicy, sendersOf } from '../../dns-facts.js';
import { domainText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * DMARC passes when SPF or DKIM passes *aligned* with the From: domain (RFC 7489 4.2).
 * SPF breaks whenever mail is forwarded (the forwarder's address is not in the sender's
 * record, RFC 7208 appendix D), so with `p=reject` a system that does not sign its mail
 * (no DKIM selector) has every forwarded message rejected: mailing lists, a partner's
 * forwarding, the organisation's own contacts (method 2).
 */
export const dmarcRejectWithoutDkim = defineRule({
  id: 'dmarc-reject-without-dkim',
  defaultSeverity: 'warning',
  description: 'a domain with DMARC p=reject has a sending system without a DKIM selector',
  check(ctx) {
    const { model } = ctx;
    for (const decl of model.domains.values()) {
      const domain = decl.name.ascii;
      if (!domain) continue;
      const dmarc = dmarcPolicy(model, domain);
      if (dmarc?.policy !== 'reject') continue;
      for (const s of sendersOf(ctx, domain)) {
        if (!s.sends || s.sends.dkim.length > 0) continue;
        ctx.report({
          message: `${domainText(model, domain)} has DMARC p=reject but system ${q(s.name)} sends as it without a DKIM selector: its mail passes DMARC only through SPF, and is rejected wherever it is forwarded`,
          at: { path: s.sends.path, key: true },
          related: [{ message: `the DMARC policy of ${domainText(model, domain)}`, at: { path: dmarc.path } }],
          data: { domain, system: s.name },
        });
      }
    }
  },
});
