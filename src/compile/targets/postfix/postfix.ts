import { domainToASCII } from 'node:url';
import type { Model, SystemDecl } from '../../../model/model.js';
import type { RoutingTable } from '../../../routing/table.js';
import type { OutputFile } from '../../output.js';
import { TextSink, utf8File } from '../../text-sink.js';
import { compileRoutingTables } from '../../../routing/compile.js';
import { liveSources, liveTables, type LiveSource } from './ldap-tables.js';
import { mainCf } from './main-cf.js';
import { addressValueProblem, labelForms, mapKeyProblem, safeComment, transportValueProblem } from './map-syntax.js';
import { networkProblem } from './relay-rights.js';
import { postfixRoutes, type Entry, type PostfixRoutes } from './postfix-routes.js';

import type { MapType } from './map-syntax.js';

export type { MapType } from './map-syntax.js';

export interface PostfixOptions {
  /** Where the maps are deployed (main.cf points there). Default /etc/postfix/chainmail. */
  readonly postfixDir?: string;
  readonly mapType?: MapType;
  /** Systems that also get Postfix files, besides those of kind postfix. */
  readonly postfixFor?: readonly string[];
}

export const DEFAULT_POSTFIX_DIR = '/etc/postfix/chainmail';
/** transport(5) value for a system's own mailboxes when the file names none. */
export const DEFAULT_LOCAL_TRANSPORT = 'local:';

/** The map files of one system, in the order main.cf names them. */
export const POSTFIX_MAPS = ['relay_domains', 'relay_recipients', 'transport', 'virtual'] as const;

/**
 * The `postfix` target: `<system>/postfix/{main.cf,relay_domains,relay_recipients,transport,virtual}`
 * for every system of kind postfix (and those named in `postfixFor`), following Postfix's
 * own gateway recipe (STANDARD_CONFIGURATION_README "firewall/gateway"). Values that no
 * postmap(1) file can hold are reported in `problems` and left out.
 */
export function compilePostfix(model: Model, options: PostfixOptions = {}, problems: string[] = []): OutputFile[] {
  const dir = options.postfixDir ?? DEFAULT_POSTFIX_DIR;
  const type = options.mapType ?? 'hash';
  // postconf(5) expands $name in every value and splits lists at "," and white space
  if (!/^\/[^\s#$,{}()]*$/.test(dir)) problems.push(`postfix directory ${JSON.stringify(dir)} must be an absolute path without spaces, "#", "$", ",", braces or parentheses`);
  const names = new Set(options.postfixFor ?? []);
  for (const n of names) if (!model.systems.has(n)) problems.push(`--postfix-for names ${JSON.stringify(n)}, which is no system of the file`);
  const tables = compileRoutingTables(model);
  const live = liveSources(model);
  const out: OutputFile[] = [];
  for (const s of [...model.systems.values()].sort((a, b) => cmp(a.name, b.name))) {
    if (s.kind !== 'postfix' && !names.has(s.name)) continue;
    const table = tables.get(s.name);
    if (!table) continue;
    out.push(...systemFiles(s, table, dir, type, problems, live));
  }
  return out;
}

function systemFiles(s: SystemDecl, table: RoutingTable, dir: string, type: MapType, problems: string[], live: readonly LiveSource[]): OutputFile[] {
  const local = s.localTransport ?? DEFAULT_LOCAL_TRANSPORT;
  const localProblem = transportValueProblem(local);
  if (localProblem) problems.push(`localTransport ${JSON.stringify(local)} of system ${JSON.stringify(s.name)} ${localProblem}`);
  for (const n of s.mynetworks ?? []) {
    const p = networkProblem(n);
    if (p) problems.push(`mynetworks entry ${JSON.stringify(n)} of system ${JSON.stringify(s.name)} ${p}`);
  }
  // recipients looked up live leave the static maps for ldap tables (ldap-tables.ts)
  const { routes, files: ldapFiles } = liveTables(s.name, postfixRoutes(table, local), live, dir, type);
  const check = checker(s.name, problems);
  const path = (f: string): string => `${s.name}/postfix/${f}`;
  return [
    { path: path('main.cf'), content: mainCf(s, table, routes, dir, type) },
    utf8File(path('relay_domains'), relayDomains(routes, check)),
    utf8File(path('relay_recipients'), relayRecipients(routes, check)),
    utf8File(path('transport'), transport(s, routes, local, check)),
    utf8File(path('virtual'), virtual(routes, check)),
    ...ldapFiles,
  ];
}

type ValueKind = 'address' | 'transport' | 'ok';
type Check = (key: string, value: string, kind: ValueKind) => boolean;

/** Keeps a line only when postmap(1) reads it back as exactly this key and value. */
function checker(system: string, problems: string[]): Check {
  // a few values (next hops, the local transport) serve many keys: each is checked once
  const transportProblems = new Map<string, string | undefined>();
  const transportProblem = (value: string): string | undefined => {
    if (transportProblems.has(value)) return transportProblems.get(value);
    const p = transportValueProblem(value);
    transportProblems.set(value, p);
    return p;
  };
  return (key, value, kind) => {
    const k = mapKeyProblem(key);
    const v = kind === 'address' ? addressValueProblem(value) : kind === 'transport' ? transportProblem(value) : undefined;
    if (k) problems.push(`system ${JSON.stringify(system)}: ${JSON.stringify(key)} ${k}; Postfix tables cannot hold it`);
    else if (v) problems.push(`system ${JSON.stringify(system)}: ${JSON.stringify(value)} (for ${JSON.stringify(key)}) ${v}; Postfix tables cannot hold it`);
    return !k && !v;
  };
}

function relayDomains(r: PostfixRoutes, check: Check): Parts {
  const out = new TextSink();
  out.line('# relay_domains (postconf(5)): the domains this system accepts mail for from other hosts.');
  out.line('# Subdomains are not included: main.cf takes relay_domains out of parent_domain_matches_subdomains.');
  for (const d of r.relayDomains) {
    out.line(safeComment(`# ${d.domain}: ${d.why}`));
    for (const k of labelForms(d.domain)) if (check(k, 'OK', 'ok')) out.line(`${k} OK`);
  }
  return lines(out);
}

function relayRecipients(r: PostfixRoutes, check: Check): Parts {
  const out = new TextSink();
  out.line('# relay_recipient_maps (postconf(5)): every recipient accepted at RCPT time; any other recipient');
  out.line('# of a relay domain is rejected with 550 5.1.1 (unknown_relay_recipient_reject_code) and no bounce.');
  for (const g of r.relayRecipients) {
    out.line(safeComment(`# ${g.domain}: ${g.why}`));
    if (g.wildcard) {
      out.line(safeComment(`# @${g.domain} is a wild card ("Specify @domain as a wild-card for domains that have no valid`));
      out.line('# recipient list, and become a source of backscatter", postconf(5) relay_recipient_maps).');
      for (const k of labelForms(`@${g.domain}`)) out.line(`${k} OK`);
    }
    for (const key of g.keys) put(out, key, 'OK', 'ok', check);
  }
  return lines(out);
}

function transport(s: SystemDecl, r: PostfixRoutes, local: string, check: Check): Parts {
  const out = new TextSink();
  out.line('# transport_maps (transport(5)): user@domain entries are looked up before the domain, so the');
  out.line('# per-recipient routes come first; every SMTP next hop is [bracketed]: no MX lookup, no loop back here.');
  if (r.transport.mailboxes.length > 0) {
    const origin = s.localTransport === undefined ? 'the default; set localTransport to change it' : 'localTransport';
    out.line(safeComment(`# mailboxes of ${s.name}: delivered by ${local} (${origin})`));
    for (const e of r.transport.mailboxes) put(out, e.key, e.value, 'transport', check);
  }
  if (r.transport.elsewhere.length > 0) {
    out.line('# recipients whose route differs from their domain\'s');
    for (const e of r.transport.elsewhere) put(out, e.key, e.value, 'transport', check);
  }
  for (const e of r.transport.domains) {
    out.line(safeComment(`# ${e.key}: ${e.why}`));
    for (const k of labelForms(e.key)) if (check(k, e.value, 'transport')) out.line(`${k} ${e.value}`);
  }
  return lines(out);
}

function virtual(r: PostfixRoutes, check: Check): Parts {
  const out = new TextSink();
  out.line('# virtual_alias_maps (virtual(5)): rewrites that apply before routing, in every address class.');
  const section = (title: string, entries: readonly Entry[]): void => {
    if (entries.length === 0) return;
    out.line(safeComment(title));
    for (const e of entries) {
      const to = asciiDomain(e.value);
      put(out, e.key, to, 'address', check);
    }
  };
  section('# aliases: alias -> mailbox', r.virtual.aliases);
  section("# contacts (KB 321721 method 2): secondary address -> the contact's targetAddress", r.virtual.contacts);
  return lines(out);
}

/** The address with its domain as an A-label (the transport keys are A-labels). */
function asciiDomain(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  const ascii = domainToASCII(address.slice(at + 1));
  return ascii ? `${address.slice(0, at)}@${ascii.toLowerCase()}` : address;
}

/** The lines of one map entry: `key value`, for each form of the key (labelForms) that postmap(1) can hold. */
function put(out: TextSink, key: string, value: string, kind: ValueKind, check: Check): void {
  // most keys have no A-label: one form, no list made for it
  if (!key.includes('xn--')) {
    if (check(key, value, kind)) out.line(`${key} ${value}`);
    return;
  }
  for (const k of labelForms(key)) if (check(k, value, kind)) out.line(`${k} ${value}`);
}

/** A map's UTF-8 bytes (TextSink.finish()). */
type Parts = readonly Uint8Array[];

/**
 * The map's LF-terminated lines as UTF-8 parts. Every comment that holds a name of the file
 * went through safeComment() where it was made (it can never turn into a second line, a map
 * entry); the other lines are map entries whose keys and values check() cleared (no line
 * break, no leading "#"). Rendered into a TextSink (issue 19): no array of the 100,000 lines
 * of a large map, no string of the whole map, and emit uses the bytes without encoding again.
 */
function lines(out: TextSink): Parts {
  return out.finish().parts;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
