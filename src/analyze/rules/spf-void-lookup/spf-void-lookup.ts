import type { Path } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import { lookupTarget, neverInPublicDns } from '../../../dns/spf-terms.js';
import { domainRecords, spfRecordsOf } from '../../dns-facts.js';
import { domainText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * A "void lookup" is an SPF query answered with no records or NXDOMAIN; after 2 of them the
 * check is a `permerror` (RFC 7208 4.6.4), and each one is a mechanism that authorises
 * nothing. Offline chainmail knows one sure case: a name that never exists in the public
 * DNS (`.local`, `.internal`, `.invalid`, ... RFC 6761, RFC 6762), typically a system's
 * internal host name that became `a:<host>` because it has no `sends.ip`.
 * `chainmail dns-check` counts the real ones against a resolver.
 */
export const spfVoidLookup = defineRule({
  id: 'spf-void-lookup',
  defaultSeverity: 'warning',
  description: 'an SPF record looks up a name that does not exist in the public DNS (a void lookup)',
  check(ctx) {
    const { model } = ctx;
    for (const r of domainRecords(ctx).values()) {
      for (const spf of spfRecordsOf(r)) {
        const voids = spf.terms.filter((t) => t.lookup && neverInPublicDns(lookupTarget(t, spf.domain)));
        for (const t of voids) {
          const target = lookupTarget(t, spf.domain);
          // in the built record, the term comes from a system: point at what it came from
          const system = spf.published ? undefined : r.spfMechanisms.find((m) => m.text === t.text.toLowerCase())?.systems[0];
          const sys = system !== undefined ? model.systems.get(system) : undefined;
          const at: Path = spf.published ? (r.decl.dns.published.spf?.path ?? r.decl.path) : sys ? (sys.host.host === target ? [...sys.path, 'host'] : (sys.sends?.path ?? sys.path)) : r.decl.path;
          const which = spf.published ? 'the published SPF record' : 'the SPF record built from the sending systems';
          ctx.report({
            message: `${which} of ${domainText(model, r.domain)} has ${q(t.text)}, a lookup of ${q(target)}, which does not exist in the public DNS: a void lookup (more than 2 make the check a permerror, RFC 7208 4.6.4)${sys ? `; system ${q(sys.name)} has no sends.ip` : ''}`,
            at: { path: at },
            data: { domain: r.domain, term: t.text, target, count: String(voids.length), published: String(spf.published) },
          });
        }
      }
    }
  },
});
