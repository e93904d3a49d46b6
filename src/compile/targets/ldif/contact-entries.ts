import type { ContactDecl, Model } from '../../../model/model.js';
import { compileRoutingTables } from '../../../routing/compile.js';
import { routingContacts } from '../../../routing/routing-contacts.js';
import { directoryAddress } from '../../../text/directory-address.js';
import { escapeDnValue, splitUnescaped, unescapeDnValue } from '../../../text/dn.js';

/**
 * The directory entries of the contacts (KB 321721 method 2, step 2), shared by the LDIF
 * and csvde targets so both import exactly the same objects.
 */
export interface ContactEntry {
  readonly contact: ContactDecl;
  /** RFC 4514 string: `CN=<cn>,OU=<ou>...,<baseDn>`. */
  readonly dn: string;
  /** DNs of the organisational units above the contact, the top one first. */
  readonly ouDns: readonly { readonly dn: string; readonly ou: string }[];
  readonly cn: string;
  /** AD's `name` (the RDN value): the cn. */
  readonly name: string;
  readonly sn?: string;
  readonly givenName?: string;
  readonly displayName: string;
  /** The targetAddress without its prefix. */
  readonly mail: string;
  readonly mailNickname?: string;
  /** `SMTP:<target>` first, then `smtp:<secondary>` for each other address (deduplicated). */
  readonly proxyAddresses: readonly string[];
  /** `SMTP:<target>`. */
  readonly targetAddress: string;
}

/**
 * The OU names of a contact's `ou` ("sub,top" = OU=sub,OU=top), innermost first. A `\,`
 * is a comma inside a name; an `OU=` written before a part is accepted and dropped.
 */
export function ouNames(ou: string | undefined): string[] {
  if (ou === undefined) return [];
  return splitUnescaped(ou)
    .map((p) => unescapeDnValue(p.replace(/^ou\s*=\s*/i, '')))
    .filter((p) => p !== '');
}

/**
 * The base DN with attribute types in upper case (`dc=xo,dc=one` -> `DC=xo,DC=one`, the
 * form Active Directory prints); values and their escapes are kept as written.
 */
export function normalizeBaseDn(baseDn: string | undefined): string {
  if (baseDn === undefined || baseDn.trim() === '') return '';
  return splitUnescaped(baseDn)
    .map((rdn) =>
      splitUnescaped(rdn, '+')
        .map((ava) => ava.replace(/^([A-Za-z][A-Za-z0-9-]*)\s*=\s*/, (_m, t: string) => `${t.toUpperCase()}=`))
        .join('+'),
    )
    .join(',');
}

/** Code-point order, independent of the locale (deterministic output). */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The contacts of the file and those the routing stage generates on authoritative Exchange
 * systems for recipients hosted elsewhere (the reverse path, src/routing/routing-contacts.ts):
 * the targets write both alike. Computed once per model.
 */
export function allContacts(model: Model): readonly ContactDecl[] {
  let all = allOf.get(model);
  if (!all) {
    const generated = routingContacts(model, compileRoutingTables(model));
    allOf.set(model, (all = generated.length === 0 ? model.contacts : [...model.contacts, ...generated]));
  }
  return all;
}

const allOf = new WeakMap<Model, readonly ContactDecl[]>();

/** The entries of every contact (file and generated, {@link allContacts}), sorted by DN. */
export function contactEntries(model: Model): ContactEntry[] {
  // The LDIF, the csvde file and each Exchange system's runbook and setup.ps1 all list the
  // same entries: computed once per (immutable) model, each caller gets its own array.
  let sorted = entriesOf.get(model);
  if (!sorted) {
    const base = normalizeBaseDn(model.baseDn);
    // thousands of contacts share a handful of OUs: parse and escape each ou string once
    const ous = new Map<string | undefined, OuPath>();
    const entries = allContacts(model).map((c) => {
      let ou = ous.get(c.ou);
      if (!ou) ous.set(c.ou, (ou = ouPath(c.ou, base)));
      return contactEntry(c, base, ou);
    });
    // Sort keeps the file order for equal DNs (a duplicate the lint rules report).
    sorted = entries.map((e, i) => ({ e, i })).sort((x, y) => compareCodePoints(x.e.dn, y.e.dn) || x.i - y.i).map((x) => x.e);
    entriesOf.set(model, sorted);
  }
  return [...sorted];
}

const entriesOf = new WeakMap<Model, readonly ContactEntry[]>();

/** The OU part of a contact's DN: the RDNs under the base DN, and each OU's own DN, top first. */
interface OuPath {
  readonly ouRdns: readonly string[];
  readonly ouDns: readonly { readonly dn: string; readonly ou: string }[];
}

function ouPath(ou: string | undefined, base: string): OuPath {
  const ous = ouNames(ou);
  const suffix = (rdns: readonly string[]): string => [...rdns, ...(base ? [base] : [])].join(',');
  const ouRdns = ous.map((o) => `OU=${escapeDnValue(o)}`);
  return { ouRdns, ouDns: ous.map((o, i) => ({ dn: suffix(ouRdns.slice(i)), ou: o })).reverse() };
}

function contactEntry(c: ContactDecl, base: string, { ouRdns, ouDns }: OuPath): ContactEntry {
  const suffix = (rdns: readonly string[]): string => [...rdns, ...(base ? [base] : [])].join(',');
  const target = directoryAddress(c.targetAddress);
  const seen = new Set<string>([c.targetAddress.key || target.toLowerCase()]);
  const secondaries: string[] = [];
  for (const p of c.proxyAddresses) {
    // The target is the only primary (SMTP:); every other address is a secondary (smtp:),
    // even one written with SMTP: (lint reports that conflict).
    const key = p.address.key || directoryAddress(p.address).toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    secondaries.push(`smtp:${directoryAddress(p.address)}`);
  }
  return {
    contact: c,
    dn: suffix([`CN=${escapeDnValue(c.cn)}`, ...ouRdns]),
    ouDns,
    cn: c.cn,
    name: c.cn,
    // An empty string is no value in LDAP (Directory String needs one character): leave it out.
    ...(c.sn ? { sn: c.sn } : {}),
    ...(c.givenName ? { givenName: c.givenName } : {}),
    displayName: c.displayName || c.cn,
    mail: target,
    ...(c.mailNickname !== undefined ? { mailNickname: c.mailNickname } : {}),
    proxyAddresses: [`SMTP:${target}`, ...secondaries],
    targetAddress: `SMTP:${target}`,
  };
}
