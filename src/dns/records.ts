import { isIP } from 'node:net';
import type { Path } from '../diagnostics/diagnostic.js';
import type { DomainDecl, Model, SystemDecl } from '../model/model.js';

/**
 * The DNS records chainmail publishes for a domain, built from the model (the IR every
 * output format of the dns target renders, as DNSControl's targets share one IR): the MX
 * (the gateways where internet mail for the domain enters), the SPF record (the systems
 * that send as it) and the DMARC record (the policy wanted). Pure: no DNS, no clock.
 */

/** One MX record: host as an A-label without the trailing dot. */
export interface MxRecord {
  readonly preference: number;
  readonly host: string;
}

/** A mechanism of the built SPF record and the system (or systems) it comes from. */
export interface SpfMechanism {
  readonly text: string;
  readonly systems: readonly string[];
}

/** The records of one domain. */
export interface DomainRecords {
  /** A-label. */
  readonly domain: string;
  readonly decl: DomainDecl;
  /** Sorted by preference, then host. */
  readonly mx: readonly MxRecord[];
  /** The systems whose host names became the MX (empty when the file names its MX). */
  readonly mxFrom: readonly string[];
  /** The systems that send as the domain, by name. */
  readonly senders: readonly SystemDecl[];
  readonly spfMechanisms: readonly SpfMechanism[];
  /** `v=spf1 ... -all`. */
  readonly spf: string;
  /** `v=DMARC1; p=...`, when the file wants a DMARC policy. */
  readonly dmarc?: string;
}

/** Where internet mail for a domain enters: gateway system names (routing-facts' entryGateways). */
export type EntryGateways = (domain: string) => readonly string[];

const ALL = { fail: '-all', softfail: '~all', neutral: '?all' } as const;
/** Mechanisms without DNS queries first (ip4, ip6), then those with, cheapest first. */
const ORDER = ['ip4', 'ip6', 'a', 'mx', 'ptr', 'exists', 'include'];

/** The systems that send as each domain (A-label), by system name. */
export function sendersByDomain(model: Model): Map<string, SystemDecl[]> {
  const out = new Map<string, SystemDecl[]>();
  for (const s of [...model.systems.values()].sort((a, b) => cmp(a.name, b.name))) {
    for (const { domain } of s.sends?.domains ?? []) {
      if (!domain.ascii) continue;
      const list = out.get(domain.ascii) ?? [];
      if (!list.includes(s)) list.push(s);
      out.set(domain.ascii, list);
    }
  }
  return out;
}

/**
 * The domains chainmail publishes DNS records for, sorted by A-label: every declared
 * domain that is not remote and that some system sends as or that names its mx, spf,
 * dmarc or published records. A private space (example.local, the seed's step 1) has none.
 */
export function publishedDomains(model: Model): DomainDecl[] {
  const senders = sendersByDomain(model);
  return [...model.domains.values()]
    .filter((d) => d.name.ascii !== '' && !d.remote && (d.dns.declared || senders.has(d.name.ascii)))
    .sort((a, b) => cmp(a.name.ascii, b.name.ascii));
}

/** The records of every published domain; what cannot be built goes to `problems`. */
export function dnsRecords(model: Model, entries: EntryGateways, problems: string[]): DomainRecords[] {
  const senders = sendersByDomain(model);
  return publishedDomains(model).map((decl) => domainRecords(model, decl, senders.get(decl.name.ascii) ?? [], entries, problems));
}

function domainRecords(model: Model, decl: DomainDecl, senders: readonly SystemDecl[], entries: EntryGateways, problems: string[]): DomainRecords {
  const domain = decl.name.ascii;
  const where = `domain ${JSON.stringify(decl.name.display)}`;
  let mx: MxRecord[];
  const mxFrom: string[] = [];
  if (decl.dns.mx) {
    mx = decl.dns.mx.map((m) => ({ preference: m.preference, host: m.host }));
  } else {
    mx = [];
    for (const name of entries(domain)) {
      const s = model.systems.get(name);
      if (!s || s.host.error) continue;
      // an MX names a host, never an address (RFC 5321 5.1; RFC 7505 for the null MX)
      if (s.host.isIp) {
        problems.push(`${where}: gateway ${JSON.stringify(name)} has the IP address ${s.host.host} as its host, and an MX record needs a host name; set domains.${decl.name.display}.mx`);
        continue;
      }
      mxFrom.push(name);
      mx.push({ preference: 10, host: s.host.host });
    }
  }
  mx = dedupe(mx, (m) => `${m.preference} ${m.host}`).sort((a, b) => a.preference - b.preference || cmp(a.host, b.host));

  const mechanisms = new Map<string, string[]>();
  const add = (text: string, system: string): void => {
    const key = text.toLowerCase();
    const list = mechanisms.get(key);
    if (list) list.push(system);
    else mechanisms.set(key, [system]);
  };
  for (const s of senders) {
    const sends = s.sends;
    if (!sends) continue;
    for (const ip of sends.ip) {
      const mech = ipMechanism(ip.value);
      if (mech) add(mech, s.name);
      else problems.push(`system ${JSON.stringify(s.name)}: sends.ip ${JSON.stringify(ip.value)} is not an IP address or network (${pathText(ip.path)})`);
    }
    for (const m of sends.spf) add(m.mechanism, s.name);
    if (sends.ip.length > 0 || sends.spf.length > 0) continue;
    // without addresses, the host it is reached at is the best guess of where it sends from
    if (s.host.error) continue;
    if (s.host.isIp) add(`${isIP(s.host.host) === 6 ? 'ip6' : 'ip4'}:${s.host.host}`, s.name);
    else if (decl.dns.spfFlatten) problems.push(`${where}: spf.flatten needs the outbound addresses of system ${JSON.stringify(s.name)}: give it sends.ip`);
    else add(`a:${s.host.host}`, s.name);
  }
  const spfMechanisms = [...mechanisms.entries()]
    .map(([text, systems]) => ({ text, systems }))
    .sort((a, b) => rank(a.text) - rank(b.text) || cmp(a.text, b.text));
  const spf = ['v=spf1', ...spfMechanisms.map((m) => m.text), ALL[decl.dns.spfAll]].join(' ');
  const dmarc = dmarcRecord(decl);
  return { domain, decl, mx, mxFrom, senders, spfMechanisms, spf, ...(dmarc !== undefined ? { dmarc } : {}) };
}

/** `ip4:203.0.113.10`, `ip6:2001:db8::/64`; undefined when the value is no address. */
export function ipMechanism(value: string): string | undefined {
  const [addr = '', prefix, extra] = value.split('/');
  if (extra !== undefined) return undefined;
  const family = isIP(addr);
  if (family === 0) return undefined;
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))) return undefined;
  return `ip${family}:${addr.toLowerCase()}${prefix !== undefined ? `/${Number(prefix)}` : ''}`;
}

/** The DMARC record (RFC 7489 6.3, 6.4: v first, then p; the other tags in a fixed order). */
function dmarcRecord(decl: DomainDecl): string | undefined {
  const d = decl.dns.dmarc;
  if (!d) return undefined;
  const tags = [`v=DMARC1`, `p=${d.policy}`];
  if (d.subdomainPolicy !== undefined) tags.push(`sp=${d.subdomainPolicy}`);
  if (d.percent !== undefined) tags.push(`pct=${d.percent}`);
  if (d.rua.length > 0) tags.push(`rua=${d.rua.join(',')}`);
  if (d.ruf.length > 0) tags.push(`ruf=${d.ruf.join(',')}`);
  if (d.adkim !== undefined) tags.push(`adkim=${d.adkim[0]}`);
  if (d.aspf !== undefined) tags.push(`aspf=${d.aspf[0]}`);
  return tags.join('; ');
}

function rank(mechanism: string): number {
  const name = /^[+\-~?]?([a-z0-9]+)/.exec(mechanism)?.[1] ?? '';
  const i = ORDER.indexOf(name);
  return i < 0 ? ORDER.length : i;
}

function dedupe<T>(list: readonly T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return list.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function pathText(path: Path): string {
  return path.join('.');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
