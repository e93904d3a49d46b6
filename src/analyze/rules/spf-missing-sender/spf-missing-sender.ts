import { BlockList, isIP } from 'node:net';
import { q } from '../../../diagnostics/diagnostic.js';
import { spfTerms, type SpfTerm } from '../../../dns/spf-terms.js';
import type { SystemDecl } from '../../../model/model.js';
import { domainRecords } from '../../dns-facts.js';
import { domainText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * Every system that sends as a domain must be authorised by its SPF record (RFC 7208 2.1),
 * or receivers see `fail` (with `-all`) and DMARC fails unless DKIM saves it. chainmail
 * builds the record from the sending systems (`chainmail build --target dns`), so this
 * checks the record the file says is published (`domains.*.published.spf`): each sending
 * system's addresses must lie in an `ip4:`/`ip6:` network of it, its provider mechanisms
 * must be in it, and a system without addresses must be named by `a:<host>` (or by `mx`
 * when it is an MX of the domain). Only pass terms count (no qualifier or `+`).
 */
export const spfMissingSender = defineRule({
  id: 'spf-missing-sender',
  defaultSeverity: 'error',
  description: "a system that sends as a domain is not authorised by the domain's published SPF record",
  check(ctx) {
    const { model } = ctx;
    for (const r of domainRecords(ctx).values()) {
      const published = r.decl.dns.published.spf;
      const terms = published ? spfTerms(published.record) : undefined;
      if (!published || !terms) continue;
      const pass = terms.filter((t) => !t.modifier && (t.qualifier === '' || t.qualifier === '+'));
      for (const s of r.senders) {
        const missing = uncovered(s, pass, r.mx.map((m) => m.host));
        if (missing.length === 0) continue;
        const wanted = r.spfMechanisms.filter((m) => m.systems.includes(s.name)).map((m) => m.text);
        ctx.report({
          message: `the published SPF record of ${domainText(model, r.domain)} does not authorise system ${q(s.name)}, which sends as it (${missing.join(', ')}): receivers see SPF fail for its mail`,
          at: { path: published.path },
          related: [{ message: `system ${q(s.name)} sends as ${domainText(model, r.domain)}`, at: { path: s.sends?.path ?? s.path } }],
          fix: { description: `publish the record chainmail builds (chainmail build --target dns), which has ${wanted.join(' ')}`, yaml: `spf: ${JSON.stringify(r.spf)}` },
          data: { domain: r.domain, system: s.name, missing: missing.join(' ') },
        });
      }
    }
  },
});

/** What of a sending system the pass terms leave out, as SPF mechanisms. */
function uncovered(s: SystemDecl, pass: readonly SpfTerm[], mxHosts: readonly string[]): string[] {
  const sends = s.sends;
  if (!sends) return [];
  const missing: string[] = [];
  for (const ip of sends.ip) {
    const [addr = '', prefix] = ip.value.split('/');
    const family = isIP(addr);
    if (family === 0) continue; // the build reports it
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (!pass.some((t) => inNetwork(t, addr, family, bits))) missing.push(`ip${family}:${ip.value}`);
  }
  const present = new Set(pass.map((t) => t.text.replace(/^\+/, '').toLowerCase()));
  for (const m of sends.spf) if (!present.has(m.mechanism.replace(/^\+/, '').toLowerCase())) missing.push(m.mechanism);
  if (sends.ip.length === 0 && sends.spf.length === 0 && !s.host.error) {
    const host = s.host.host;
    const named = s.host.isIp
      ? pass.some((t) => inNetwork(t, host, isIP(host), isIP(host) === 4 ? 32 : 128))
      : pass.some((t) => (t.name === 'a' && t.argument.replace(/\.$/, '').toLowerCase() === host) || (t.name === 'mx' && t.argument === '' && mxHosts.includes(host)));
    if (!named) missing.push(s.host.isIp ? `ip${isIP(host)}:${host}` : `a:${host}`);
  }
  return missing;
}

/** Whether `addr/bits` lies inside the network of an ip4:/ip6: term. */
function inNetwork(t: SpfTerm, addr: string, family: number, bits: number): boolean {
  if (t.name !== `ip${family}`) return false;
  const [net = '', prefix] = t.text.replace(/^[+]?ip[46]:/i, '').split('/');
  if (isIP(net) !== family) return false;
  const netBits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
  if (!Number.isInteger(netBits) || netBits > bits) return false;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  try {
    list.addSubnet(net, netBits, type);
    return list.check(addr, type);
  } catch {
    return false;
  }
}
