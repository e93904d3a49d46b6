import type { DirectorySource } from '../../../model/config.generated.js';
import type { Model } from '../../../model/model.js';
import type { OutputFile } from '../../output.js';
import { labelForms, safeComment } from './map-syntax.js';
import type { Entry, PostfixRoutes } from './postfix-routes.js';

/**
 * Live recipient lookups (docs/directory.md): the recipients of a system whose
 * `directory.lookups` is `ldap` are answered by ldap_table(5) files that query the directory,
 * instead of the static maps compiled from its snapshot. The entries of those recipients
 * leave the static maps, and each map parameter lists the ldap table first, then the static
 * map (Postfix searches the tables of a parameter in order, first match wins). When the
 * directory is down, the lookup fails and smtpd answers 451 4.3.0 ("temporary lookup
 * failure"): mail waits at the client, it is never rejected with a 5xx.
 *
 * Assumptions, which Active Directory keeps for every mail-enabled object: `mail` holds the
 * primary SMTP address of a user or group and the target of a contact, and the address
 * attribute holds every address (`smtp:` values). ldap_table(5) cannot strip the `SMTP:`
 * prefix of targetAddress, so rewrites return `mail`.
 */
export interface LiveSource {
  readonly system: string;
  readonly directory: DirectorySource;
  /** Keys (addresses as the maps hold them) of the system's mailboxes and aliases. */
  readonly mailboxKeys: ReadonlySet<string>;
  /** Keys of the secondary addresses of its contacts. */
  readonly contactKeys: ReadonlySet<string>;
}

/** Systems whose recipients Postfix looks up live. */
export function liveSources(model: Model): LiveSource[] {
  const out: LiveSource[] = [];
  for (const s of model.systems.values()) {
    if (s.directory?.lookups !== 'ldap') continue;
    const mailboxKeys = new Set<string>();
    for (const m of s.mailboxes) for (const a of [m, ...m.aliases]) if (a.address.key) mailboxKeys.add(a.address.key);
    const contactKeys = new Set<string>();
    for (const c of model.contacts) if (c.system === s.name) for (const p of c.proxyAddresses) if (p.address.key) contactKeys.add(p.address.key);
    out.push({ system: s.name, directory: s.directory, mailboxKeys, contactKeys });
  }
  return out.sort((a, b) => (a.system < b.system ? -1 : 1));
}

/** One ldap table to write, and the map parameter it joins. */
interface Table {
  readonly parameter: 'relay_recipient_maps' | 'transport_maps' | 'virtual_alias_maps';
  readonly file: string;
  readonly source: LiveSource;
  readonly domains: readonly string[];
  readonly filter: string;
  readonly resultAttribute: string;
  readonly resultFormat?: string;
}

/**
 * Takes the live systems' entries out of a Postfix system's routes and returns the routes
 * left for the static maps, the ldap tables that replace them, and `ldap-main.cf`: the map
 * parameters with the ldap tables first, applied with `postconf -e` after main.cf.
 */
export function liveTables(system: string, routes: PostfixRoutes, live: readonly LiveSource[], dir: string, mapType: string): { routes: PostfixRoutes; files: OutputFile[] } {
  if (live.length === 0) return { routes, files: [] };
  const tables: Table[] = [];
  let r = routes;
  for (const src of live) {
    const isLive = (k: string): boolean => src.mailboxKeys.has(k) || src.contactKeys.has(k);
    const relayKeys = r.relayRecipients.flatMap((g) => g.keys.filter(isLive));
    const transportKeys = r.transport.mailboxes.filter((e) => src.mailboxKeys.has(e.key));
    const aliasKeys = [...r.virtual.aliases, ...r.virtual.contacts].filter((e) => isLive(e.key));
    r = {
      ...r,
      relayRecipients: r.relayRecipients.map((g) => ({ ...g, keys: g.keys.filter((k) => !isLive(k)) })),
      transport: { ...r.transport, mailboxes: r.transport.mailboxes.filter((e) => !src.mailboxKeys.has(e.key)) },
      virtual: { aliases: r.virtual.aliases.filter((e) => !isLive(e.key)), contacts: r.virtual.contacts.filter((e) => !isLive(e.key)) },
    };
    const base = baseFilter(src.directory);
    const target = `(${src.directory.targetAttribute ?? 'targetAddress'}=*)`;
    const file = (map: string): string => `ldap-${map}-${src.system}.cf`;
    // `key` is how the filter names the looked-up address: %s, or %u@A-label (below)
    const filters = {
      // any entry that holds the address is a valid recipient; the value is not used (postconf(5) relay_recipient_maps)
      relay: (key: string): string => `(&${base}${addressTerm(src.directory, key)})`,
      // a mailbox's primary address (mail) is delivered by the same transport for all of them
      transport: (key: string): string => `(&${base}(!${target})${addressTerm(src.directory, key)}(mail=${key}))`,
      // every other address of an entry is rewritten to its mail: alias -> mailbox, secondary -> contact target
      virtual: (key: string): string => `(&${base}${addressTerm(src.directory, key)}(!(mail=${key})))`,
    };
    const add = (t: Omit<Table, 'domains' | 'filter' | 'file' | 'source'>, map: string, keys: readonly string[], filter: (key: string) => string): void => {
      const domains = domainsOf(keys);
      tables.push({ ...t, file: file(map), source: src, domains, filter: filter('%s') });
      // With SMTPUTF8 Postfix looks up the U-label as the client wrote it and ldap_table(5)
      // converts nothing; the directory holds A-labels. One more table per IDN domain,
      // limited to its U-label (domain =), asks the directory for %u (the local part) at the
      // A-label written out, so both forms find the entry, as both keys do in the static maps
      for (const d of domains) {
        const u = labelForms(`@${d}`)[1]?.slice(1);
        if (u) tables.push({ ...t, file: `ldap-${map}-${src.system}-${d}.cf`, source: src, domains: [u], filter: filter(`%u@${d}`) });
      }
    };
    if (relayKeys.length > 0) add({ parameter: 'relay_recipient_maps', resultAttribute: 'cn', resultFormat: 'OK' }, 'relay_recipients', relayKeys, filters.relay);
    if (transportKeys.length > 0) {
      const value = transportKeys[0]?.value ?? 'local:';
      add({ parameter: 'transport_maps', resultAttribute: 'cn', resultFormat: value }, 'transport', transportKeys.map((e) => e.key), filters.transport);
    }
    if (aliasKeys.length > 0) add({ parameter: 'virtual_alias_maps', resultAttribute: 'mail' }, 'virtual', aliasKeys.map((e: Entry) => e.key), filters.virtual);
  }
  const path = (f: string): string => `${system}/postfix/${f}`;
  const files: OutputFile[] = tables.map((t) => ({ path: path(t.file), content: tableCf(t) }));
  if (tables.length > 0) files.push({ path: path('ldap-main.cf'), content: ldapMainCf(system, tables, dir, mapType) });
  return { routes: r, files };
}

const STATIC: Record<Table['parameter'], string> = { relay_recipient_maps: 'relay_recipients', transport_maps: 'transport', virtual_alias_maps: 'virtual' };

function ldapMainCf(system: string, tables: readonly Table[], dir: string, mapType: string): string {
  const l = [
    `# main.cf settings of system ${JSON.stringify(system)} for live directory lookups (docs/directory.md): apply them`,
    "# after main.cf: grep -Ev '^(#|$)' ldap-main.cf | xargs -d '\\n' postconf -e && postfix reload",
    '# Each parameter lists the ldap tables first, then the static map; the directory down means 451 4.3.0.',
  ];
  for (const p of ['relay_recipient_maps', 'transport_maps', 'virtual_alias_maps'] as const) {
    const mine = tables.filter((t) => t.parameter === p);
    if (mine.length === 0) continue;
    l.push(`${p} = ${[...mine.map((t) => `ldap:${dir}/${t.file}`), `${mapType}:${dir}/${STATIC[p]}`].join(', ')}`);
  }
  return lines(l);
}

/** The placeholder the deploy replaces with the bind password: chainmail never writes it. */
export const BIND_PW_PLACEHOLDER = '__CHAINMAIL_BIND_PW__';

function tableCf(t: Table): string {
  const d = t.source.directory;
  const url = d.url.replace(/\/$/, '');
  const l = [
    `# ${t.parameter} (ldap_table(5)) for the recipients of system ${JSON.stringify(t.source.system)}, from its directory`,
    '# Postfix escapes the key in %s for the filter (RFC 4515: *, (, ), \\ and NUL), so a key never matches another entry.',
    `server_host = ${url}`,
    'version = 3',
    `search_base = ${cfValue(d.baseDn)}`,
    'scope = sub',
    `query_filter = ${t.filter}`,
    `result_attribute = ${t.resultAttribute}`,
  ];
  if (t.resultFormat !== undefined) l.push(`result_format = ${percent(t.resultFormat)}`);
  // only keys user@domain of these domains are looked up: no queries for other domains, @domain or bare users
  l.push(`domain = ${t.domains.join(', ')}`, 'timeout = 10');
  if (d.bindDn !== undefined) {
    l.push('bind = yes', `bind_dn = ${cfValue(d.bindDn)}`);
    l.push(`# the deploy replaces ${BIND_PW_PLACEHOLDER} with the password (the file then 0640 root:postfix); chainmail never writes it`);
    l.push(`bind_pw = ${BIND_PW_PLACEHOLDER}`);
  } else l.push('bind = no');
  if (d.startTls === true) l.push('start_tls = yes');
  if (d.startTls === true || url.startsWith('ldaps:')) {
    l.push('# the CA certificate of directory.ca, copied beside the tables by the deploy', 'tls_ca_cert_file = ldap-ca.pem', 'tls_require_cert = yes');
  }
  return lines(l);
}

function baseFilter(d: DirectorySource): string {
  return percent(d.filter ?? '(proxyAddresses=smtp:*)');
}

/** AD's proxyAddresses hold `smtp:address` (case-insensitive match); another attribute holds the bare address. */
function addressTerm(d: DirectorySource, key: string): string {
  const attr = d.addressAttribute ?? 'proxyAddresses';
  return attr.toLowerCase() === 'proxyaddresses' ? `(${attr}=smtp:${key})` : `(${attr}=${key})`;
}

/** A literal % in a query_filter or result_format is %% (ldap_table(5)). */
function percent(s: string): string {
  return s.replace(/%/g, '%%');
}

/** A cf value is one line; leading and trailing blanks would be trimmed by Postfix. */
function cfValue(s: string): string {
  return s.replace(/[\r\n]/g, ' ').trim();
}

function domainsOf(keys: readonly string[]): string[] {
  return [...new Set(keys.map((k) => k.slice(k.lastIndexOf('@') + 1)))].sort();
}

function lines(l: readonly string[]): string {
  return `${l.map((x) => (x.startsWith('#') ? safeComment(x) : x)).join('\n')}\n`;
}
