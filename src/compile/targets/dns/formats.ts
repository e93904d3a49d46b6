import { stringify } from 'yaml';
import { bindTxt, dnscontrolTxt, fqdn, jsString, octodnsTxt } from './escape.js';
import type { DomainRecords } from '../../../dns/records.js';

/**
 * The three renderings of one domain's records. Each writes absolute names (a trailing dot),
 * so the records mean the same whatever `$ORIGIN` or zone they are pasted into, and an
 * explicit TTL (a `$TTL` in an included fragment would leak into the including zone).
 */

export const TTL = 3600;

/** Why the records are what they are, for the comment above them. */
export function provenance(r: DomainRecords): string[] {
  const lines = [`${r.domain}${r.decl.name.unicode !== r.domain ? ` (${r.decl.name.unicode})` : ''}`];
  lines.push(r.decl.dns.mx ? 'MX: as domains.mx names them' : r.mxFrom.length > 0 ? `MX: the gateway${r.mxFrom.length === 1 ? '' : 's'} ${r.mxFrom.map((s) => JSON.stringify(s)).join(', ')}` : 'MX: none (no gateway accepts the domain)');
  lines.push(r.senders.length > 0 ? `SPF: the systems that send as it: ${r.senders.map((s) => JSON.stringify(s.name)).join(', ')}` : 'SPF: no system sends as it');
  if (r.dmarc !== undefined) lines.push(`DMARC: policy ${r.decl.dns.dmarc?.policy ?? ''}`);
  return lines;
}

/** A BIND zone-file fragment (RFC 1035 5.1) for `$INCLUDE` or pasting into the domain's zone. */
export function bindFragment(r: DomainRecords): string {
  const owner = fqdn(r.domain);
  const lines = provenance(r).map((l) => `; ${l}`);
  for (const m of r.mx) lines.push(`${owner} ${TTL} IN MX ${m.preference} ${fqdn(m.host)}`);
  lines.push(`${owner} ${TTL} IN TXT ${bindTxt(r.spf)}`);
  if (r.dmarc !== undefined) lines.push(`_dmarc.${owner} ${TTL} IN TXT ${bindTxt(r.dmarc)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The records in octoDNS's YamlProvider format (docs/records.md of octoDNS): top-level keys
 * are names relative to the zone ('' the apex), a list where a name has several records.
 */
export function octodnsYaml(r: DomainRecords, problems: string[]): string {
  const txt = (value: string): string => {
    const v = octodnsTxt(value);
    if (v === undefined) problems.push(`domain ${JSON.stringify(r.decl.name.display)}: the TXT value ${JSON.stringify(value)} cannot be written for octoDNS (ASCII only, no "\\;")`);
    return v ?? '';
  };
  const apex: Record<string, unknown>[] = [];
  if (r.mx.length > 0) apex.push({ type: 'MX', ttl: TTL, values: r.mx.map((m) => ({ exchange: fqdn(m.host), preference: m.preference })) });
  apex.push({ type: 'TXT', ttl: TTL, value: txt(r.spf) });
  const doc: Record<string, unknown> = { '': apex.length === 1 ? apex[0] : apex };
  if (r.dmarc !== undefined) doc._dmarc = { type: 'TXT', ttl: TTL, value: txt(r.dmarc) };
  const comments = provenance(r).map((l) => `# ${l}`);
  return `${comments.join('\n')}\n---\n${stringify(doc, { lineWidth: 0 })}`;
}

/**
 * DNSControl's D_EXTEND() (top-level-functions/D_EXTEND.md): adds the records to the domain
 * that your dnsconfig.js defines with D(); `require("./chainmail.js")` after the D().
 */
export function dnscontrolRecords(r: DomainRecords): string {
  const args = [jsString(r.domain)];
  for (const m of r.mx) args.push(`MX("@", ${m.preference}, ${jsString(fqdn(m.host))})`);
  args.push(`TXT("@", ${dnscontrolTxt(r.spf)})`);
  if (r.dmarc !== undefined) args.push(`TXT("_dmarc", ${dnscontrolTxt(r.dmarc)})`);
  const comments = provenance(r).map((l) => `// ${l}`);
  return `${comments.join('\n')}\nD_EXTEND(${args.join(',\n  ')});\n`;
}
