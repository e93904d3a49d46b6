import { gatewaysAccepting } from '../dns/gateways.js';
import { dnsRecords, sendersByDomain, type DomainRecords } from '../dns/records.js';
import { lookupTarget, spfTerms, type SpfTerm } from '../dns/spf-terms.js';
import { routing } from './routing-index.js';
import type { DmarcPolicyName, Model, SystemDecl } from '../model/model.js';
import type { RuleContext } from './rule.js';

/**
 * Facts of the DNS rules (docs/dns.md), memoised per analysis run: the records the dns
 * target would publish (from the same builder, so lint and build agree), who sends as
 * which domain, and the DMARC policy in force. Entry gateways come from routing-facts.
 */

/** The records of every published domain, by A-label. */
export function domainRecords(ctx: RuleContext): ReadonlyMap<string, DomainRecords> {
  return ctx.memo('dns-facts:records', (model) => {
    // what cannot be built (an IP as MX host) is the build's one-line error, not a finding
    const records = dnsRecords(model, (d) => gatewaysAccepting(routing(ctx).entries, d), []);
    return new Map(records.map((r) => [r.domain, r]));
  });
}

/** The systems that send as a domain (A-label), by name. */
export function sendersOf(ctx: RuleContext, domain: string): readonly SystemDecl[] {
  return ctx.memo('dns-facts:senders', sendersByDomain).get(domain) ?? [];
}

/** The DMARC policy of a domain: the one the file wants, else the `p=` of the published record. */
export function dmarcPolicy(model: Model, domain: string): { policy: DmarcPolicyName; path: readonly (string | number)[] } | undefined {
  const dns = model.domains.get(domain)?.dns;
  if (!dns) return undefined;
  if (dns.dmarc) return { policy: dns.dmarc.policy, path: [...dns.dmarc.path, 'policy'] };
  const published = dns.published.dmarc;
  const p = published ? /(?:^|;)\s*p\s*=\s*(none|quarantine|reject)\s*(?:;|$)/i.exec(published.record)?.[1] : undefined;
  return p && published ? { policy: p.toLowerCase() as DmarcPolicyName, path: published.path } : undefined;
}

/** One SPF record a rule checks: the built one or the published one, with where to point. */
export interface CheckedSpf {
  readonly domain: string;
  readonly record: string;
  readonly terms: readonly SpfTerm[];
  readonly published: boolean;
}

/** The SPF records of a published domain to check: the built one, and the published one when given. */
export function spfRecordsOf(r: DomainRecords): CheckedSpf[] {
  const out: CheckedSpf[] = [{ domain: r.domain, record: r.spf, terms: spfTerms(r.spf) ?? [], published: false }];
  const p = r.decl.dns.published.spf;
  if (p) out.push({ domain: r.domain, record: p.record, terms: spfTerms(p.record) ?? [], published: true });
  return out;
}

/**
 * The DNS lookups an SPF check of `record` costs (RFC 7208 4.6.4), following include: and
 * redirect= into the records chainmail builds itself; any other target counts 1 and makes
 * the total a lower bound (`exact: false`): its own lookups are unknown offline.
 */
export function lookupCount(ctx: RuleContext, domain: string, terms: readonly SpfTerm[], seen: ReadonlySet<string> = new Set([domain])): { count: number; exact: boolean; terms: string[] } {
  const records = domainRecords(ctx);
  let count = 0;
  let exact = true;
  const named: string[] = [];
  for (const t of terms) {
    if (!t.lookup) continue;
    count++;
    named.push(t.text);
    if (t.name !== 'include' && t.name !== 'redirect') continue;
    const target = lookupTarget(t, domain);
    const known = records.get(target);
    if (!known || seen.has(target)) {
      exact = false;
      continue;
    }
    const inner = lookupCount(ctx, target, spfTerms(known.spf) ?? [], new Set([...seen, target]));
    count += inner.count;
    exact &&= inner.exact;
  }
  return { count, exact, terms: named };
}
