import { scalar } from '../../init/yaml-text.js';
import { parseAddress } from '../../normalize/address.js';
import type { ImportedContact, ImportedMailbox } from '../imported.js';
import { mailbox, renderImported } from '../render.js';
import type { DirectoryEntry } from './ldap-read.js';

/** The first line of every snapshot: `import ldap` replaces only files that start with it. */
export const SNAPSHOT_MARK = '# chainmail directory snapshot';

/** An entry, or one of its values, that could not be imported: named by its DN. */
export interface EntryProblem {
  readonly dn: string;
  readonly message: string;
}

/** Where the snapshot came from, for its header (never a password). */
export interface SnapshotSource {
  readonly system: string;
  readonly url: string;
  readonly baseDn: string;
  readonly filter: string;
  readonly bindDn?: string;
  readonly generator: string;
}

/**
 * Collects directory entries into a system's mailboxes and contacts. Entries that have the
 * target attribute (AD contacts and mail users) are contacts, rewritten to their target;
 * the rest (users, groups, public folders) are mailboxes: the `SMTP:` value the address,
 * the `smtp:` values its aliases. Values with other prefixes (X500:, SIP:, X400:) are not
 * mail addresses and are skipped.
 */
export class SnapshotBuilder {
  /** Each with its comparison key, computed once (100,000 entries are sorted by it). */
  readonly mailboxes: (ImportedMailbox & { readonly key: string })[] = [];
  readonly contacts: (ImportedContact & { readonly dn: string })[] = [];
  readonly problems: EntryProblem[] = [];

  constructor(
    private readonly system: string,
    private readonly baseDn: string,
  ) {}

  add(e: DirectoryEntry): void {
    const smtp: { address: string; primary: boolean; key: string }[] = [];
    for (const value of e.addresses) {
      const v = splitProxyValue(value);
      if (v === undefined) continue;
      const a = parseAddress(v.address);
      if (a.error !== undefined) {
        this.problems.push({ dn: e.dn, message: `${JSON.stringify(value)} ${a.error}: left out` });
        continue;
      }
      smtp.push({ ...v, key: a.key });
    }
    if (e.target !== undefined) {
      this.addContact(e, smtp);
      return;
    }
    const primary = smtp.find((s) => s.primary) ?? smtp[0];
    if (primary === undefined) {
      this.problems.push({ dn: e.dn, message: 'has no valid SMTP address: entry left out' });
      return;
    }
    const aliases = uniqueSorted(smtp.filter((s) => s.key !== primary.key));
    this.mailboxes.push({ address: primary.address, aliases, key: primary.key });
  }

  private addContact(e: DirectoryEntry, addresses: readonly { address: string; key: string }[]): void {
    const target = splitProxyValue(e.target ?? '')?.address ?? e.target ?? '';
    const t = parseAddress(target);
    if (t.error !== undefined) {
      this.problems.push({ dn: e.dn, message: `target ${JSON.stringify(e.target)} ${t.error}: entry left out` });
      return;
    }
    const tk = t.key;
    const cn = (e.cn ?? firstRdnValue(e.dn)).slice(0, 64);
    const ou = ouBelow(e.dn, this.baseDn);
    this.contacts.push({
      dn: e.dn,
      comment: [`dn: ${e.dn}`],
      cn,
      ...(ou !== undefined ? { ou } : {}),
      system: this.system,
      ...(e.givenName !== undefined ? { givenName: e.givenName } : {}),
      ...(e.sn !== undefined ? { sn: e.sn } : {}),
      ...(e.displayName !== undefined ? { displayName: e.displayName } : {}),
      ...(e.mailNickname !== undefined ? { mailNickname: e.mailNickname } : {}),
      targetAddress: target,
      proxyAddresses: uniqueSorted(addresses.filter((a) => a.key !== tk)),
    });
  }

  /** Mailboxes by address and contacts by DN: the snapshot's order. */
  private sorted(): { mailboxes: ImportedMailbox[]; contacts: (ImportedContact & { readonly dn: string })[] } {
    const keyed = this.mailboxes.map((m) => ({ m, k: m.key }));
    keyed.sort((a, b) => cmp(a.k, b.k) || cmp(a.m.address, b.m.address));
    const contacts = this.contacts.map((c) => ({ c, k: c.dn.toLowerCase() }));
    contacts.sort((a, b) => cmp(a.k, b.k) || cmp(a.c.dn, b.c.dn));
    return { mailboxes: keyed.map((x) => x.m), contacts: contacts.map((x) => x.c) };
  }

  /**
   * The snapshot as plain data, as YAML would read the rendered file back (fields in the
   * rendered order), for the change report without parsing 100,000 entries again.
   */
  document(system: string): unknown {
    const { mailboxes, contacts } = this.sorted();
    const strip = ({ comment: _c, dn: _d, ...rest }: ImportedContact & { readonly dn: string }): Record<string, unknown> => {
      const { cn, ou, system: s, givenName, sn, displayName, mailNickname, targetAddress, proxyAddresses } = rest;
      return Object.fromEntries(Object.entries({ cn, ou, system: s, givenName, sn, displayName, mailNickname, targetAddress, proxyAddresses }).filter(([, v]) => v !== undefined));
    };
    return {
      systems: { [system]: { mailboxes: mailboxes.map((m) => (m.aliases.length === 0 ? m.address : { address: m.address, aliases: m.aliases })) } },
      contacts: contacts.map(strip),
    };
  }

  /** The snapshot file: header, `systems: { NAME: { mailboxes } }`, `contacts`; sorted, LF. */
  render(source: SnapshotSource): string {
    const { mailboxes, contacts } = this.sorted();
    const n = (k: number, w: string): string => `${k} ${w}${k === 1 ? '' : 's'}`;
    const out = [
      `${SNAPSHOT_MARK} of system ${JSON.stringify(source.system)}: do not edit, run \`chainmail import ldap\` again`,
      `# source: ${source.url} base ${JSON.stringify(source.baseDn)} filter ${JSON.stringify(source.filter)}${source.bindDn !== undefined ? ` bind ${JSON.stringify(source.bindDn)}` : ''}`,
      `# ${n(mailboxes.length, 'mailbox').replace('mailboxs', 'mailboxes')}, ${n(contacts.length, 'contact')}, ${n(this.problems.length, 'value')} left out; ${source.generator}`,
      '',
      'systems:',
      `  ${scalar(source.system)}:`,
    ];
    if (mailboxes.length === 0) out.push('    mailboxes: []');
    else {
      out.push('    mailboxes:');
      for (const m of mailboxes) out.push(`      - ${mailbox(m)}`);
    }
    const body = renderImported({ header: [], include: true, domains: [], systems: [], policies: [], connectors: [], chains: [], contacts });
    return `${out.join('\n')}\n${body === '\n' ? '' : body}`;
  }
}

/** The addresses, each key once (the first spelling), sorted by key. */
function uniqueSorted(list: readonly { address: string; key: string }[]): string[] {
  if (list.length === 0) return [];
  const byKey = new Map<string, string>();
  for (const a of list) if (!byKey.has(a.key)) byKey.set(a.key, a.address);
  return [...byKey.entries()].sort(([a], [b]) => cmp(a, b)).map(([, v]) => v);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A value of the address attribute: `SMTP:a@x` (primary), `smtp:a@x`, or a bare address (a
 * directory whose attribute is `mail`). Other types (`X500:`, `SIP:`, `X400:`) are not
 * mail addresses: undefined.
 */
export function splitProxyValue(value: string): { address: string; primary: boolean } | undefined {
  const m = /^([A-Za-z0-9]{1,16}):(.*)$/s.exec(value);
  if (!m) return { address: value, primary: false };
  if ((m[1] ?? '').toLowerCase() !== 'smtp') return undefined;
  return { address: m[2] ?? '', primary: m[1] === 'SMTP' };
}

/** RDNs split on unescaped commas (RFC 4514 section 2). */
function rdns(dn: string): string[] {
  return dn.split(/(?<!\\),/).map((r) => r.trim());
}

function firstRdnValue(dn: string): string {
  const first = rdns(dn)[0] ?? dn;
  return first.slice(first.indexOf('=') + 1).replace(/\\(.)/g, '$1');
}

/** `cn=x,ou=a,ou=b,BASE` -> `a,b` (the contact's `ou`); undefined when not only OUs lie between. */
function ouBelow(dn: string, baseDn: string): string | undefined {
  const all = rdns(dn);
  const base = rdns(baseDn).map((r) => r.toLowerCase());
  const tail = all.slice(all.length - base.length).map((r) => r.toLowerCase());
  if (base.length === 0 || tail.join(',') !== base.join(',')) return undefined;
  const between = all.slice(1, all.length - base.length);
  if (between.length === 0 || !between.every((r) => /^ou=[^\\]*$/i.test(r))) return undefined;
  return between.map((r) => r.slice(3)).join(',');
}
