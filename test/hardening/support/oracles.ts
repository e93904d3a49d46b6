import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { ouNames } from '../../../src/compile/targets/ldif/contact-entries.js';
import type { OutputFile } from '../../../src/compile/output.js';
import { parseHost } from '../../../src/normalize/address.js';
import { foldCase } from '../../../src/normalize/casefold.js';
import type { Cfg } from './org.js';
import {
  decodeCsvde,
  mdCells,
  mdCodeSpan,
  mdTables,
  parseCsv,
  parseDn,
  parseLdifStrict,
  parsePostfixMap,
  psCommandArgs,
  psSkeleton,
  type Ava,
  type MapEntry,
} from './parsers.js';

/**
 * What each artifact must say, computed from the YAML values as the user wrote them (not
 * from the compile targets' intermediate structures), and checked with the independent
 * readers of parsers.ts. Each check throws an Error that names the artifact and the value.
 */

export class OracleError extends Error {}

function fail(where: string, what: string): never {
  throw new OracleError(`${where}: ${what}`);
}

function eq(where: string, actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) fail(where, `got ${a}, expected ${e}`);
}

/** The artifact's text (csvde files decoded). */
export function text(files: readonly OutputFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  if (!f) fail(path, 'missing');
  if (path.endsWith('.csv')) return decodeCsvde(f.content);
  if (typeof f.content !== 'string') fail(path, 'binary');
  return f.content;
}

/** A-label of a domain (UTS #46), the form every artifact uses. */
export function ascii(domain: string): string {
  const d = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  return (domainToASCII(d) || d).toLowerCase();
}

/** local@domain as directory and Postfix values write it: local part as written, A-label domain. */
export function directoryAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return `${address.slice(0, at)}@${ascii(address.slice(at + 1))}`;
}

/**
 * The comparison key (and Postfix map key): the local part case-folded as Postfix folds
 * table keys (foldCase, checked against the real postmap in test/build/casefold.test.ts),
 * A-label domain.
 */
export function addressKey(address: string): string {
  const at = address.lastIndexOf('@');
  return `${foldCase(address.slice(0, at))}@${ascii(address.slice(at + 1))}`;
}

/** A contact address without its optional `smtp:`/`SMTP:` prefix (the file format allows one on targetAddress too). */
export function unprefixed(address: string): string {
  return address.replace(/^smtp:/i, '');
}

/** `relay:[host]:port` for a host as written (postfix target: every next hop bracketed). */
export function relayValue(raw: string, defaultPort = 25): string {
  const h = parseHost(raw);
  const host = isIP(h.host) === 6 ? `ipv6:${h.host}` : h.host;
  return `relay:[${host}]:${h.port ?? defaultPort}`;
}

// ---------------------------------------------------------------- Postfix

/** The entries of one map, checked for shape and duplicate keys. */
export function mapEntries(files: readonly OutputFile[], path: string): Map<string, string> {
  let entries: MapEntry[];
  try {
    entries = parsePostfixMap(text(files, path));
  } catch (e) {
    fail(path, (e as Error).message);
  }
  const out = new Map<string, string>();
  for (const e of entries) {
    if (out.has(e.key)) fail(path, `duplicate key ${JSON.stringify(e.key)} (postmap: "duplicate entry")`);
    out.set(e.key, e.value);
  }
  return out;
}

function mapHas(map: Map<string, string>, path: string, key: string, value: string): void {
  if (!map.has(key)) fail(path, `no key ${JSON.stringify(key)}; keys: ${JSON.stringify([...map.keys()])}`);
  eq(`${path} ${JSON.stringify(key)}`, map.get(key), value);
}

/** Every Postfix file of both systems: shape, and the entries that the values imply. */
export function checkPostfix(c: Cfg, files: readonly OutputFile[]): void {
  for (const s of ['exchange', 'unix']) {
    for (const m of ['relay_domains', 'relay_recipients', 'transport', 'virtual']) mapEntries(files, `${s}/postfix/${m}`);
    const cf = text(files, `${s}/postfix/main.cf`);
    for (const [i, line] of cf.split('\n').entries()) {
      if (line === '' || line.startsWith('#')) continue;
      // postconf -e arguments: "name = value", the value one line without leading or trailing blanks
      if (!/^[a-z0-9_]+ =(?: \S+)*$/.test(line)) fail(`${s}/postfix/main.cf`, `line ${i + 1} is not "name = value": ${JSON.stringify(line)}`);
    }
  }
  const unix = c.systems.unix;
  const lt: string = unix.localTransport ?? 'local:';
  const mailbox0: string = unix.mailboxes[0];
  const dave: string = unix.mailboxes[1].address;
  const alias: string = unix.mailboxes[1].aliases[0];
  const erin: string = unix.mailboxes[2];
  const transport = mapEntries(files, 'unix/postfix/transport');
  const recipients = mapEntries(files, 'unix/postfix/relay_recipients');
  const domains = mapEntries(files, 'unix/postfix/relay_domains');
  for (const m of [mailbox0, dave, erin]) {
    mapHas(transport, 'unix/postfix/transport', addressKey(m), lt);
    mapHas(recipients, 'unix/postfix/relay_recipients', addressKey(m), 'OK');
  }
  mapHas(recipients, 'unix/postfix/relay_recipients', addressKey(alias), 'OK');
  mapHas(mapEntries(files, 'unix/postfix/virtual'), 'unix/postfix/virtual', addressKey(alias), directoryAddress(dave));
  for (const d of ['example.com', erin.slice(erin.lastIndexOf('@') + 1)]) mapHas(domains, 'unix/postfix/relay_domains', ascii(d), 'OK');

  const exTransport = mapEntries(files, 'exchange/postfix/transport');
  mapHas(exTransport, 'exchange/postfix/transport', 'example.com', relayValue(unix.host, unix.port ?? 25));
  mapHas(exTransport, 'exchange/postfix/transport', 'remote.domain', relayValue(c.connectors[1].smartHosts[0]));
  const virtual = mapEntries(files, 'exchange/postfix/virtual');
  for (const ct of c.contacts) {
    for (const p of ct.proxyAddresses as string[]) {
      const a = p.replace(/^smtp:/i, '');
      if (addressKey(a) === addressKey(unprefixed(ct.targetAddress))) continue;
      mapHas(virtual, 'exchange/postfix/virtual', addressKey(a), directoryAddress(unprefixed(ct.targetAddress)));
    }
  }
}

// ---------------------------------------------------------------- contacts

/** What one contact must look like in the directory (LDIF, CSV, setup.ps1). */
export interface ExpectedContact {
  readonly dn: readonly Ava[];
  readonly parent: readonly Ava[];
  readonly cn: string;
  readonly sn?: string;
  readonly givenName?: string;
  readonly displayName: string;
  readonly mailNickname?: string;
  /** local@A-label. */
  readonly target: string;
  /** SMTP:target, then smtp:secondaries. */
  readonly proxies: readonly string[];
}

function baseAvas(c: Cfg): Ava[] {
  const raw: string | undefined = c.directory?.baseDn;
  if (raw === undefined || raw.trim() === '') return [];
  // the base DN is written as the user gave it, attribute types upper-cased
  return parseDn(raw).map((a) => ({ type: a.type.toUpperCase(), value: a.value }));
}

export function expectedContacts(c: Cfg): ExpectedContact[] {
  const base = baseAvas(c);
  return (c.contacts as Cfg[]).map((ct) => {
    const parent: Ava[] = [...ouNames(ct.ou).map((o) => ({ type: 'OU', value: o })), ...base];
    const target = directoryAddress(unprefixed(ct.targetAddress));
    const seen = new Set([addressKey(unprefixed(ct.targetAddress))]);
    const secondaries: string[] = [];
    for (const p of (ct.proxyAddresses ?? []) as string[]) {
      const a = p.replace(/^smtp:/i, '');
      if (seen.has(addressKey(a))) continue;
      seen.add(addressKey(a));
      secondaries.push(`smtp:${directoryAddress(a)}`);
    }
    return {
      dn: [{ type: 'CN', value: ct.cn }, ...parent],
      parent,
      cn: ct.cn,
      // an empty string is no value in LDAP: the targets leave it out
      ...(ct.sn ? { sn: ct.sn } : {}),
      ...(ct.givenName ? { givenName: ct.givenName } : {}),
      displayName: ct.displayName || ct.cn,
      ...(ct.mailNickname !== undefined ? { mailNickname: ct.mailNickname } : {}),
      target,
      proxies: [`SMTP:${target}`, ...secondaries],
    };
  });
}

function dnKey(avas: readonly Ava[]): string {
  return JSON.stringify(avas.map((a) => [a.type.toUpperCase(), a.value]));
}

function parsedDn(where: string, dn: string): Ava[] {
  try {
    return parseDn(dn);
  } catch (e) {
    fail(where, `DN does not parse (RFC 4514): ${(e as Error).message}`);
  }
}

export function checkLdif(c: Cfg, files: readonly OutputFile[]): void {
  const path = 'contacts/contacts.ldif';
  let records;
  try {
    records = parseLdifStrict(text(files, path));
  } catch (e) {
    fail(path, (e as Error).message);
  }
  const expected = expectedContacts(c);
  eq(`${path}: number of records`, records.length, expected.length);
  for (const e of expected) {
    const r = records.find((x) => dnKey(parsedDn(path, x.dn)) === dnKey(e.dn));
    if (!r) fail(path, `no record with DN ${dnKey(e.dn)}; DNs: ${JSON.stringify(records.map((x) => x.dn))}`);
    const want: [string, string][] = [
      ['changetype', 'add'],
      ['objectclass', 'top'],
      ['objectclass', 'contact'],
      ['cn', e.cn],
      ['name', e.cn],
      ...(e.sn !== undefined ? [['sn', e.sn] as [string, string]] : []),
      ...(e.givenName !== undefined ? [['givenname', e.givenName] as [string, string]] : []),
      ['displayname', e.displayName],
      ['mail', e.target],
      ...(e.mailNickname !== undefined ? [['mailnickname', e.mailNickname] as [string, string]] : []),
      ...e.proxies.map((p) => ['proxyaddresses', p] as [string, string]),
      ['targetaddress', `SMTP:${e.target}`],
    ];
    const sort = (l: readonly (readonly [string, string])[]): string[] => l.map((x) => JSON.stringify(x)).sort();
    eq(`${path} ${r.dn}`, sort(r.attributes), sort(want));
  }
}

export function checkCsv(c: Cfg, files: readonly OutputFile[]): void {
  const path = 'contacts/contacts.csv';
  // the csv target refuses (with a CompileError) what csvde cannot hold, e.g. ";" in an address
  if (!files.some((f) => f.path === path) && files.some((f) => f.path === 'contacts/contacts.ldif')) return;
  let rows: string[][];
  try {
    rows = parseCsv(text(files, path));
  } catch (e) {
    fail(path, (e as Error).message);
  }
  eq(`${path}: header`, rows[0]?.join(','), 'objectClass,dn,name,cn,sn,givenName,displayName,proxyAddresses,targetAddress,mail,mailnickname');
  const expected = expectedContacts(c);
  eq(`${path}: number of rows`, rows.length - 1, expected.length);
  for (const e of expected) {
    const row = rows.slice(1).find((r) => dnKey(parsedDn(path, r[1] ?? '')) === dnKey(e.dn));
    if (!row) fail(path, `no row with DN ${dnKey(e.dn)}`);
    eq(`${path} row ${row[1]}`, row.length, 11);
    const { 1: _dn, 7: proxies, ...rest } = row;
    eq(`${path} row ${row[1]}`, Object.values(rest), ['contact', e.cn, e.cn, e.sn ?? '', e.givenName ?? '', e.displayName, `SMTP:${e.target}`, e.target, e.mailNickname ?? '']);
    // csvde splits a multi-valued attribute at ";" and has no escape for it
    eq(`${path} proxyAddresses of ${row[1]}`, (proxies ?? '').split(';'), e.proxies);
  }
}

// ---------------------------------------------------------------- setup.ps1 and runbook.md

export function checkSetupPs1(c: Cfg, files: readonly OutputFile[], twin?: readonly OutputFile[]): void {
  const path = 'exchange/exchange/setup.ps1';
  const script = text(files, path);
  let contacts;
  try {
    contacts = psCommandArgs(script, 'New-MailContact');
  } catch (e) {
    fail(path, (e as Error).message);
  }
  const expected = expectedContacts(c);
  eq(`${path}: New-MailContact lines`, contacts.length, expected.length);
  const sets = psCommandArgs(script, 'Set-MailContact');
  for (const e of expected) {
    const args = contacts.find((a) => a.get('ExternalEmailAddress')?.[0] === `SMTP:${e.target}` && a.get('Name')?.[0] === e.cn);
    if (!args) fail(path, `no New-MailContact -Name ${JSON.stringify(e.cn)} -ExternalEmailAddress ${JSON.stringify(`SMTP:${e.target}`)}: ${JSON.stringify(contacts.map((a) => [...a]))}`);
    const base = e.dn.some((a) => a.type.toUpperCase() === 'DC');
    const got = Object.fromEntries([...args].map(([k, v]) => [k, k === 'OrganizationalUnit' ? dnKey(parsedDn(path, v[0] ?? '')) : v]));
    eq(`${path} New-MailContact ${JSON.stringify(e.cn)}`, got, {
      Name: [e.cn],
      ExternalEmailAddress: [`SMTP:${e.target}`],
      ...(e.mailNickname !== undefined ? { Alias: [e.mailNickname] } : {}),
      ...(e.givenName !== undefined ? { FirstName: [e.givenName] } : {}),
      ...(e.sn !== undefined ? { LastName: [e.sn] } : {}),
      DisplayName: [e.displayName],
      ...(base && e.parent.some((a) => a.type === 'OU') ? { OrganizationalUnit: dnKey(e.parent) } : {}),
    });
    const set = sets.find((a) => JSON.stringify(a.get('EmailAddresses')) === JSON.stringify(e.proxies));
    if (!set) fail(path, `no Set-MailContact -EmailAddresses ${JSON.stringify(e.proxies)}`);
  }
  // no email address policy is generated (docs/exchange.md): the mailboxes' addresses are set one by one
  eq(`${path} New-EmailAddressPolicy`, psCommandArgs(script, 'New-EmailAddressPolicy').length, 0);
  const connectors = psCommandArgs(script, 'New-SendConnector').map((a) => [a.get('Name'), a.get('AddressSpaces'), a.get('SmartHosts')]);
  const smart = parseHost(c.connectors[1].smartHosts[0]).host;
  const unixHost = parseHost(c.systems.unix.host).host;
  const sorted = (l: unknown[]): string[] => l.map((x) => JSON.stringify(x)).sort();
  eq(
    `${path} New-SendConnector`,
    sorted(connectors),
    sorted([
      [[c.connectors[0].name], ['example.com'], [unixHost]],
      [[c.connectors[1].name], ['remote.domain'], [smart]],
    ]),
  );
  const accepted = psCommandArgs(script, 'New-AcceptedDomain').map((a) => a.get('DomainName')?.[0]);
  eq(`${path} New-AcceptedDomain`, accepted, ['example.com', 'remote.domain', 'xo.one']);
  // objects are sorted by name, so the twin's may come in another order: compare the lines as a multiset
  if (twin) eq(`${path}: code outside strings and comments`, lines(psSkeleton(script)), lines(psSkeleton(text(twin, path))));
}

function lines(t: string): string[] {
  return t.split('\n').sort();
}

/** Line breaks in a code span become spaces (mdCode: a code span is one line). */
function oneLine(v: string): string {
  return v.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
}

/**
 * The Markdown text with every code span replaced by `C` (CommonMark 6.1: a backtick string
 * opens a span that the next backtick string of the same length closes), fenced code
 * blocks kept: what is left is what a renderer reads as markup.
 */
export function mdSkeleton(md: string): string {
  const out: string[] = [];
  let inFence = false;
  for (const line of md.split('\n')) {
    if (/^```/.test(line)) inFence = !inFence;
    if (inFence || /^```/.test(line)) {
      out.push(line);
      continue;
    }
    let s = '';
    for (let i = 0; i < line.length; ) {
      if (line[i] === '\\' && i + 1 < line.length) {
        s += line.slice(i, i + 2);
        i += 2;
        continue;
      }
      const run = /^`+/.exec(line.slice(i))?.[0];
      if (!run) {
        s += line[i];
        i++;
        continue;
      }
      let j = i + run.length;
      let close = -1;
      while (j < line.length) {
        const r = /^`+/.exec(line.slice(j))?.[0];
        if (r) {
          if (r.length === run.length) {
            close = j;
            break;
          }
          j += r.length;
        } else j++;
      }
      if (close === -1) {
        s += run;
        i += run.length;
      } else {
        s += 'C';
        i = close + run.length;
      }
    }
    out.push(s);
  }
  return out.join('\n');
}

export function checkRunbook(c: Cfg, files: readonly OutputFile[], twin?: readonly OutputFile[]): void {
  const path = 'exchange/exchange/runbook.md';
  const md = text(files, path);
  let tables;
  try {
    tables = mdTables(md);
  } catch (e) {
    fail(path, (e as Error).message);
  }
  for (const t of tables) for (const r of t.rows) eq(`${path} table at line ${t.line}: cells of ${JSON.stringify(r)}`, r.length, t.header.length);
  const overview = tables.find((t) => t.header[0] === 'Address space');
  const row = overview?.rows.find((r) => r[0] === '`@example.com`');
  if (!row) fail(path, 'no overview row for @example.com');
  eq(`${path} policy cell`, mdCodeSpan(row[1] ?? '', true), oneLine(c.policies[1].name));
  eq(`${path} chain cell`, mdCodeSpan((row[4] ?? '').replace(/: `exchange` → `unix`$/, ''), true), oneLine(c.chains[0].name));
  const contactsTable = tables.find((t) => t.header[0] === 'Contact');
  // the DN as the LDIF writes it (checked there), on one line as a code span shows it
  const dns = parseLdifStrict(text(files, 'contacts/contacts.ldif')).map((r) => r.dn);
  for (const e of expectedContacts(c)) {
    const dn = dns.find((d) => dnKey(parsedDn(path, d)) === dnKey(e.dn)) ?? '';
    const r = contactsTable?.rows.find((x) => mdCodeSpan(x[0] ?? '', true) === oneLine(dn));
    if (!r) fail(path, `no contact row for ${JSON.stringify(oneLine(dn))}`);
    eq(`${path} contact row`, mdCodeSpan(r[1] ?? '', true), oneLine(e.target));
    if (e.proxies.length === 2) eq(`${path} contact row`, mdCodeSpan(r[2] ?? '', true), oneLine((e.proxies[1] ?? '').slice(5)));
    if (e.mailNickname !== undefined) eq(`${path} contact row`, mdCodeSpan(r[3] ?? '', true), oneLine(e.mailNickname));
  }
  const heading = (prefix: string, name: string): void => {
    const line = md.split('\n').find((l) => l.startsWith(prefix) && mdCodeSpan(l.slice(prefix.length), false) === oneLine(name));
    if (!line) fail(path, `no heading ${prefix}${JSON.stringify(name)}`);
  };
  heading('### Policy ', c.policies[1].name);
  heading('### Connector ', c.connectors[1].name);
  if (twin) eq(`${path}: markup outside code spans`, lines(mdSkeleton(md)), lines(mdSkeleton(text(twin, path))));
  for (const l of md.split('\n')) if (/^\s*\|/.test(l) && !/^\|/.test(l)) fail(path, `indented table row ${JSON.stringify(l)}`);
  void mdCells;
}

/** routes.json is JSON: the names come back exactly. */
export function checkRoutes(c: Cfg, files: readonly OutputFile[]): void {
  const ex = JSON.parse(text(files, 'exchange/routes.json'));
  eq('exchange/routes.json policy', ex.domains['example.com'].policy, c.policies[1].name);
  eq('exchange/routes.json chain', ex.domains['example.com'].chain, c.chains[0].name);
  eq('exchange/routes.json connectors', ex.connectors.map((x: { name: string }) => x.name).sort(), [c.connectors[0].name, c.connectors[1].name].sort());
  const ct = c.contacts[0];
  for (const p of (ct.proxyAddresses ?? []) as string[]) {
    const k = addressKey(p.replace(/^smtp:/i, ''));
    if (k === addressKey(unprefixed(ct.targetAddress))) continue;
    eq(`exchange/routes.json recipient ${k}`, ex.recipients[k], { action: 'rewrite', to: directoryAddress(unprefixed(ct.targetAddress)), contact: ct.cn });
  }
}

/** Every artifact check; `twin` (the build of the shape twin) adds the code/markup comparisons. */
export function checkAll(c: Cfg, built: { files: readonly OutputFile[]; postfixRefused?: Error }, twin?: readonly OutputFile[]): void {
  if (!built.postfixRefused) checkPostfix(c, built.files);
  checkLdif(c, built.files);
  checkCsv(c, built.files);
  checkSetupPs1(c, built.files, twin);
  checkRunbook(c, built.files, twin);
  checkRoutes(c, built.files);
}
