import type { Path } from '../diagnostics/diagnostic.js';
import type { Config } from '../model/model.js';
import type { DomainDns, MxHostDecl, SendingDecl } from '../model/mail-auth.js';
import { parseDomain } from './address.js';
import { items } from './items.js';

/** A host name as DNS compares it: lower case, A-label, no trailing dot. */
export function dnsName(name: string): string {
  const trimmed = name.replace(/\.$/, '');
  return parseDomain(trimmed).ascii || trimmed.toLowerCase();
}

/** The DNS side of a declared domain (docs/dns.md). */
export function domainDns(d: Config.Domain, base: Path): DomainDns {
  // an MX list without preferences gets 10, 20, ... in the order written (RFC 5321 5.1)
  const mx: MxHostDecl[] | undefined = d.mx && items(d.mx, (m, i) =>
    typeof m === 'string'
      ? { host: dnsName(m), preference: 10 * (i + 1), path: [...base, 'mx', i] }
      : { host: dnsName(m.host), preference: m.preference ?? 10 * (i + 1), path: [...base, 'mx', i] },
  );
  const dm = d.dmarc;
  const p = d.published;
  return {
    ...(mx ? { mx } : {}),
    spfAll: d.spf?.all ?? 'fail',
    spfFlatten: d.spf?.flatten ?? false,
    ...(dm
      ? {
          dmarc: {
            policy: dm.policy,
            ...(dm.subdomainPolicy !== undefined ? { subdomainPolicy: dm.subdomainPolicy } : {}),
            ...(dm.percent !== undefined ? { percent: dm.percent } : {}),
            rua: items(dm.rua, (x) => x),
            ruf: items(dm.ruf, (x) => x),
            ...(dm.adkim !== undefined ? { adkim: dm.adkim } : {}),
            ...(dm.aspf !== undefined ? { aspf: dm.aspf } : {}),
            path: [...base, 'dmarc'],
          },
        }
      : {}),
    published: {
      ...(p?.mx ? { mx: items(p.mx, (h, i) => ({ host: dnsName(h), path: [...base, 'published', 'mx', i] })) } : {}),
      ...(p?.spf !== undefined ? { spf: { record: p.spf, path: [...base, 'published', 'spf'] } } : {}),
      ...(p?.dmarc !== undefined ? { dmarc: { record: p.dmarc, path: [...base, 'published', 'dmarc'] } } : {}),
    },
    declared: d.mx !== undefined || d.spf !== undefined || d.dmarc !== undefined || d.published !== undefined,
  };
}

/** What a system sends as the organisation's domains. */
export function sending(s: Config.Sending, base: Path): SendingDecl {
  return {
    domains: items(s.domains, (name, i) => {
      const { error: _e, ...domain } = parseDomain(name);
      return { domain, path: [...base, 'domains', i] };
    }),
    ip: items(s.ip, (value, i) => ({ value, path: [...base, 'ip', i] })),
    spf: items(s.spf, (mechanism, i) => ({ mechanism, path: [...base, 'spf', i] })),
    dkim: items(s.dkim, (selector, i) => ({ selector, path: [...base, 'dkim', i] })),
    path: base,
  };
}
