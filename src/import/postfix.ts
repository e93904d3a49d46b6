import { posix } from 'node:path';
import { domainToUnicode } from 'node:url';
import { parseAddress, parseDomain, parseHost } from '../normalize/address.js';
import type { ImportedChain, ImportedModel } from './imported.js';
import { siteModel, type PostfixSite } from './postfix-model.js';
import { hostSpecs, transportRoute, type Route } from './postfix-transport.js';
import type { ImportProblem, MapEntry, Origin } from './postfix-maps.js';
import type { ImportedDirectory } from './postfix-ldap.js';

/**
 * `chainmail import postfix`: what a Postfix gateway's maps say, as a chainmail model.
 * The maps decide, for mail received over SMTP, the same things a routing table does
 * (docs/routing.md): which domains are accepted (relay_domains), which recipients
 * (relay_recipient_maps, "@domain" = any), where each goes (transport_maps, per recipient
 * before per domain, transport(5)), and which are rewritten first (virtual_alias_maps).
 * The importer inverts what `chainmail build` writes for a Postfix system
 * (src/compile/targets/postfix/postfix-routes.ts); the test suite checks that the round
 * trip gives the same routes for every probed address.
 */

/** The maps of one Postfix system, read from their text sources. */
export interface PostfixInput {
  /** relay_domains: one domain per entry (the key). */
  readonly relayDomains: readonly MapEntry[];
  readonly transport: readonly MapEntry[];
  /** relay_recipient_maps; undefined when not set: then every recipient of a relay domain is accepted. */
  readonly relayRecipients: readonly MapEntry[] | undefined;
  readonly virtual: readonly MapEntry[];
  /** main.cf hopcount_limit. */
  readonly hopLimit?: number;
  /** main.cf relayhost. */
  readonly relayhost?: { readonly value: string } & Origin;
  /** Where the files came from, for the header comment. */
  readonly sources: readonly string[];
  /** ldap: tables of the map parameters, read back as directory sources. */
  readonly directories?: readonly ImportedDirectory[];
  /** What reading the files left out (listed in the header with the importer's own). */
  readonly readWarnings?: readonly ImportProblem[];
}

export interface PostfixImportOptions {
  /** The system's name in the model. */
  readonly system: string;
  /** How the other systems reach it (a host spec). */
  readonly host: string;
  /** transport(5) values that deliver to this system's own mailboxes, besides local:, virtual:, lmtp:. */
  readonly localTransports?: readonly string[];
  /** The generated header's first line (tool and version). */
  readonly generator?: string;
  /** A TODO comment about `host` when it is a guess. */
  readonly hostNote?: string;
}

export interface PostfixImport {
  readonly model: ImportedModel;
  /** Lines that cannot be read at all: the import fails. */
  readonly errors: readonly ImportProblem[];
  /** Lines the model cannot express (left out, said so in the file too). */
  readonly warnings: readonly ImportProblem[];
}

const domainOf = (key: string): string => key.slice(key.lastIndexOf('@') + 1);

/** Imports the maps of one Postfix system (see the module comment). */
export function importPostfix(input: PostfixInput, options: PostfixImportOptions): PostfixImport {
  const errors: ImportProblem[] = [];
  const warnings: ImportProblem[] = [];
  // comments in the file name the map by its file name: the full paths are in the header
  const at = (o: Origin): string => `${posix.basename(o.file)}:${o.line}`;
  const show = (d: string): string => domainToUnicode(d) || d;
  const error = (o: Origin, message: string): void => void errors.push({ file: o.file, line: o.line, message });
  const warn = (o: Origin, message: string): void => void warnings.push({ file: o.file, line: o.line, message });
  const S = options.system;
  const locals = options.localTransports ?? [];

  /** A domain key: lower-case A-label, or undefined after reporting why not. */
  const domainKey = (raw: string, o: Origin, what: string): string | undefined => {
    if (raw.startsWith('.')) {
      warn(o, `${what} ${JSON.stringify(raw)} matches subdomains, which chainmail cannot express: left out`);
      return undefined;
    }
    const d = parseDomain(raw);
    if (d.error) {
      error(o, `${what} ${JSON.stringify(raw)} ${d.error}`);
      return undefined;
    }
    return d.ascii;
  };
  /** An address key (lower-case local part @ A-label), or undefined after reporting why not. */
  const addressKey = (raw: string, o: Origin, what: string): string | undefined => {
    const a = parseAddress(raw);
    if (a.error || !a.key) {
      error(o, `${what} ${JSON.stringify(raw)} ${a.error ?? 'is not an address'}`);
      return undefined;
    }
    return a.key;
  };

  // transport_maps: per recipient, per domain, and the "*" catch-all (transport(5))
  type Entry = { route: Route; value: string; at: Origin };
  const domainRoute = new Map<string, Entry>();
  const recipientRoute = new Map<string, Entry>();
  let star: Entry | undefined;
  for (const e of input.transport) {
    const route = transportRoute(e.value, locals);
    if (typeof route === 'string') {
      error(e, route);
      continue;
    }
    if (e.key === '*') {
      star ??= { route, value: e.value, at: e };
      continue;
    }
    if (e.key.includes('@')) {
      if (e.key.startsWith('@')) {
        warn(e, `${JSON.stringify(e.key)} is not a transport(5) key (use the domain without "@"): left out`);
        continue;
      }
      const key = addressKey(e.key, e, 'transport key');
      if (key === undefined) continue;
      // the U-label twin of an A-label entry with the same value is one entry (both label forms are listed)
      if (recipientRoute.get(key)?.value === e.value) continue;
      if (recipientRoute.has(key)) warn(e, `duplicate entry ${JSON.stringify(key)}: the first one (line ${recipientRoute.get(key)?.at.line}) counts, as in postmap`);
      else recipientRoute.set(key, { route, value: e.value, at: e });
      continue;
    }
    const d = domainKey(e.key, e, 'transport key');
    if (d === undefined) continue;
    if (domainRoute.get(d)?.value === e.value) continue;
    if (domainRoute.has(d)) warn(e, `duplicate entry ${JSON.stringify(d)}: the first one (line ${domainRoute.get(d)?.at.line}) counts, as in postmap`);
    else domainRoute.set(d, { route, value: e.value, at: e });
  }
  if (input.relayhost && input.relayhost.value !== '') {
    const hosts = hostSpecs(input.relayhost.value);
    if (typeof hosts === 'string') error(input.relayhost, `relayhost: ${hosts}`);
    else if (star) warn(input.relayhost, `relayhost is overridden by the "*" entry of the transport map (${at(star.at)}): left out`);
    else star = { route: { kind: 'forward', hosts }, value: `relay:${input.relayhost.value}`, at: input.relayhost };
  }

  // relay_domains
  const relay = new Map<string, Origin>();
  for (const e of input.relayDomains) {
    const d = domainKey(e.key, e, 'relay domain');
    if (d !== undefined && !relay.has(d)) relay.set(d, e);
  }

  // relay_recipient_maps: "@domain" accepts any recipient of the domain (postconf(5))
  const allWild = input.relayRecipients === undefined;
  const wildcard = new Set<string>();
  const listed = new Map<string, Origin>();
  for (const e of input.relayRecipients ?? []) {
    if (e.key.startsWith('@')) {
      const d = domainKey(e.key.slice(1), e, 'relay recipient domain');
      if (d !== undefined) wildcard.add(d);
    } else if (!e.key.includes('@') || e.key.endsWith('@')) {
      warn(e, `${JSON.stringify(e.key)} is a recipient without a domain, which chainmail cannot express: left out`);
    } else {
      const key = addressKey(e.key, e, 'relay recipient');
      if (key !== undefined && !listed.has(key)) listed.set(key, e);
    }
  }
  const wild = (d: string): boolean => allWild || wildcard.has(d);

  // virtual_alias_maps: one target each (virtual(5) allows a list, chainmail one target)
  const virtual = new Map<string, { target: string; at: Origin }>();
  for (const e of input.virtual) {
    if (e.key.startsWith('@') || !e.key.includes('@')) {
      warn(e, `${JSON.stringify(e.key)} is a ${e.key.startsWith('@') ? 'catch-all' : 'local-only'} alias, which chainmail cannot express: left out`);
      continue;
    }
    const targets = e.value.split(/[\s,]+/).filter(Boolean);
    if (targets.length !== 1) {
      warn(e, `${JSON.stringify(e.key)} expands to ${targets.length} addresses; chainmail gives an address one target: left out`);
      continue;
    }
    const key = addressKey(e.key, e, 'virtual alias');
    const target = targets[0] ?? '';
    const t = parseAddress(target);
    if (t.error) {
      error(e, `virtual alias target ${JSON.stringify(target)} ${t.error}`);
      continue;
    }
    if (key !== undefined && !virtual.has(key)) virtual.set(key, { target, at: e });
  }

  // the system's own mailboxes: recipients with a route of their own, other than their
  // domain's. That is how build writes mailboxes (user@domain localTransport, before the
  // domain's next hop); their most common transport is the system's localTransport.
  const domainValue = (d: string): string | undefined => (relay.has(d) ? (domainRoute.get(d) ?? star)?.value : domainRoute.get(d)?.value);
  const mailboxTransport = new Map<string, string>();
  // a recipient forwarded to a next hop of its own: hosted by that system (the reverse path
  // build writes for a recipient of another system, docs/routing.md), not a mailbox here
  const hostedElsewhere = new Map<string, { hosts: readonly string[]; at: Origin }>();
  const forwarded = new Set<string>();
  for (const [key, r] of recipientRoute) {
    if (r.route.kind === 'unsupported') warn(r.at, `${key}: ${r.route.why} cannot be expressed: left out`);
    else if (r.value !== domainValue(domainOf(key))) {
      mailboxTransport.set(key, r.value);
      if (r.route.kind === 'forward') forwarded.add(r.value);
    }
  }
  const counts = new Map<string, number>();
  for (const t of mailboxTransport.values()) counts.set(t, (counts.get(t) ?? 0) + 1);
  // a delivering transport (local:, lmtp:) before a forward, which may be the reverse path
  const ranked = [...counts].sort((a, b) => Number(forwarded.has(a[0])) - Number(forwarded.has(b[0])) || b[1] - a[1]).map(([t]) => t);
  const localTransport = locals.find((t) => counts.has(t)) ?? ranked[0] ?? [...domainRoute.values()].find((r) => r.route.kind === 'local')?.value ?? 'local:';
  for (const [key, t] of mailboxTransport) {
    if (t === localTransport) continue;
    const r = recipientRoute.get(key);
    if (r?.route.kind === 'forward') {
      hostedElsewhere.set(key, { hosts: r.route.hosts, at: r.at });
      mailboxTransport.delete(key);
      continue;
    }
    warn(recipientRoute.get(key)?.at ?? { file: '', line: 0 }, `${key} is delivered by ${JSON.stringify(t)}, the other mailboxes by ${JSON.stringify(localTransport)}; chainmail has one localTransport per system: left out`);
    mailboxTransport.delete(key);
  }
  const mailboxes = new Set(mailboxTransport.keys());
  const resolvedHere = (key: string): boolean => mailboxes.has(key) || virtual.has(key) || hostedElsewhere.has(key);

  // next hops of the organisation that need a system of their own (a chain's last system)
  const placeholders = new Map<string, { name: string; hosts: readonly string[]; domains: Set<string>; mailboxes: Set<string>; at: Origin }>();
  const placeholderFor = (hosts: readonly string[], o: Origin): { name: string; hosts: readonly string[]; domains: Set<string>; mailboxes: Set<string> } => {
    const id = hosts.join(', ');
    let p = placeholders.get(id);
    if (!p) {
      p = { name: placeholderName(hosts[0] ?? '', new Set([S, ...[...placeholders.values()].map((x) => x.name)])), hosts, domains: new Set(), mailboxes: new Set(), at: o };
      placeholders.set(id, p);
    }
    return p;
  };

  for (const [key, h] of [...hostedElsewhere].sort(([a], [b]) => cmp(a, b))) placeholderFor(h.hosts, h.at).mailboxes.add(key);

  const authority = new Map<string, { authoritative: boolean; why: string }>();
  let deliversAll: { domain: string; at: Origin } | undefined;
  const forwards: { domain: string; hosts: readonly string[]; relay: boolean; why: string }[] = [];
  const chains: ImportedChain[] = [];
  for (const [d, o] of [...relay].sort(([a], [b]) => cmp(a, b))) {
    const own = domainRoute.get(d);
    let r = own ?? star;
    const byStar = own === undefined && star !== undefined;
    const known = [...listed.keys()].filter((k) => domainOf(k) === d && !resolvedHere(k)).sort(cmp);
    const where = own ? at(own.at) : byStar && star ? `the "*" route (${at(star.at)})` : 'no transport entry';
    if (r?.route.kind === 'unsupported') {
      // error:5.1.1 (chainmail build's entry for mail submitted locally) is what authoritative means
      if (!r.route.authoritative) warn(r.at, `${d}: ${r.route.why} cannot be expressed; the domain is imported as authoritative`);
      r = undefined;
    }
    if (r === undefined || r.route.kind === 'mx') {
      if (r === undefined && !wild(d) && known.length === 0) {
        // only the listed recipients are accepted and each is resolved here: nothing goes on
        authority.set(d, { authoritative: true, why: `${at(o)}; every accepted recipient is resolved here` });
        continue;
      }
      if (r === undefined) warn(o, `${d} has no transport entry: Postfix relays its mail to the MX of ${d} (relay_transport); imported as a connector to that MX`);
      r = { route: { kind: 'forward', hosts: [d] }, value: `relay:${d}`, at: r?.at ?? o };
    }
    if (r.route.kind === 'local') {
      authority.set(d, { authoritative: true, why: `${at(o)}; delivered here by ${where}` });
      if (wild(d)) deliversAll ??= { domain: d, at: o };
      else for (const k of known) mailboxes.add(k);
      continue;
    }
    if (r.route.kind !== 'forward') continue;
    authority.set(d, { authoritative: false, why: `${at(o)}; forwarded by ${where}` });
    if (!wild(d)) {
      // unknown recipients are rejected at RCPT: the next hop is the chain's last system,
      // which lists the recipients the gateway knows (rejectUnknownAtGateway)
      const p = placeholderFor(r.route.hosts, r.at);
      p.domains.add(d);
      for (const k of known) p.mailboxes.add(k);
      chains.push({
        name: show(d),
        domains: [show(d)],
        order: [S, p.name],
        rejectUnknownAtGateway: true,
        comment: [`${show(d)}: only the recipients in relay_recipients are accepted (${known.length} forwarded to ${p.hosts.join(', ')})`],
      });
    }
    forwards.push({ domain: d, hosts: r.route.hosts, relay: true, why: where });
  }
  // a transport entry for a domain that is not a relay domain: mail sent from here only
  for (const [d, r] of [...domainRoute].sort(([a], [b]) => cmp(a, b))) {
    if (relay.has(d)) continue;
    if (r.route.kind === 'forward') forwards.push({ domain: d, hosts: r.route.hosts, relay: false, why: at(r.at) });
    else if (r.route.kind === 'mx') continue;
    else warn(r.at, `${d} is delivered here but is no relay domain (mydestination and virtual domains are not imported): left out`);
  }
  for (const k of listed.keys()) {
    if (!relay.has(domainOf(k)) && !virtual.has(k) && !mailboxes.has(k)) warn(listed.get(k) ?? { file: '', line: 0 }, `${k} is in no relay domain: Postfix ignores it, so does the import`);
  }

  // virtual: an alias of one of this system's mailboxes, else a contact (a rewrite)
  const aliases = new Map<string, string[]>();
  const contactsByTarget = new Map<string, { target: string; keys: string[]; at: Origin }>();
  for (const [key, v] of [...virtual].sort(([a], [b]) => cmp(a, b))) {
    const tkey = parseAddress(v.target).key;
    if (mailboxes.has(tkey) && !mailboxes.has(key)) {
      const list = aliases.get(tkey);
      if (list) list.push(key);
      else aliases.set(tkey, [key]);
      continue;
    }
    if (mailboxes.has(key)) {
      warn(v.at, `${key} is both a mailbox and a virtual alias: the mailbox counts`);
      continue;
    }
    const c = contactsByTarget.get(tkey) ?? { target: v.target, keys: [], at: v.at };
    c.keys.push(key);
    contactsByTarget.set(tkey, c);
  }
  if (deliversAll && mailboxes.size > 0) {
    warn(deliversAll.at, `${deliversAll.domain} delivers any recipient here, but the system also lists mailboxes; chainmail's system either lists its recipients or not: unknown recipients of ${deliversAll.domain} will be refused in the model`);
  }

  const site: PostfixSite = {
    system: S,
    host: options.host,
    ...(options.hostNote !== undefined ? { hostNote: options.hostNote } : {}),
    ...(input.hopLimit !== undefined ? { hopLimit: input.hopLimit } : {}),
    localTransport,
    ...(deliversAll ? { deliversAll } : {}),
    mailboxes,
    aliases,
    authority,
    forwards,
    placeholders: [...placeholders.values()],
    chains,
    contacts: [...contactsByTarget.values()],
    ...(star?.route.kind === 'forward' ? { star: { hosts: star.route.hosts, at: star.at } } : {}),
    relayDomains: [...relay.keys()],
    virtualKeys: [...virtual.keys()],
    sources: input.sources,
    // relay_recipient_maps' query selects the recipients themselves; the others add terms of their own
    ...((d) => (d !== undefined ? { directory: d } : {}))(input.directories?.find((x) => x.parameter === 'relay_recipient_maps') ?? input.directories?.[0]),
  };
  const model = siteModel(site, [...(input.readWarnings ?? []), ...warnings], options.generator ?? 'Imported by chainmail');
  return { model, errors, warnings };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A system name for a next hop: `next-hop-192.168.1.10`, `next-hop-127.0.0.1-2601` (schema: [A-Za-z0-9._-], 63). */
function placeholderName(spec: string, taken: ReadonlySet<string>): string {
  const h = parseHost(spec);
  const host = h.host.replace(/[^A-Za-z0-9.-]+/g, '-');
  const base = `next-hop-${host}${h.port !== undefined && h.port !== 25 ? `-${h.port}` : ''}`.slice(0, 60).replace(/[-.]+$/, '');
  let n = base;
  for (let i = 2; taken.has(n); i++) n = `${base}-${i}`;
  return n;
}
