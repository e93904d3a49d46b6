import { scalar } from '../../init/yaml-text.js';
import type { ImportedContact, ImportedMailbox } from '../imported.js';
import { commentLine, flow, mailbox } from '../render.js';
import { addressKey } from './address-key.js';
import type { DirectoryEntry } from './ldap-read.js';
import { Utf8Writer } from './utf8-writer.js';

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

/** A mailbox of the snapshot, with its comparison key computed once (100,000 are sorted by it). */
interface KeyedMailbox extends ImportedMailbox {
  readonly key: string;
}

/** A contact of the snapshot: its DN (the comment above it) and the DN in lower case, its sort key. */
interface DirectoryContact extends ImportedContact {
  readonly dn: string;
  readonly dnKey: string;
}

const NO_ALIASES: readonly string[] = Object.freeze([]);

/**
 * Collects directory entries into a system's mailboxes and contacts. Entries that have the
 * target attribute (AD contacts and mail users) are contacts, rewritten to their target;
 * the rest (users, groups, public folders) are mailboxes: the `SMTP:` value the address,
 * the `smtp:` values its aliases. Values with other prefixes (X500:, SIP:, X400:) are not
 * mail addresses and are skipped.
 *
 * Kept lean for 100,000 entries (bench/README.md, "Directory import"): one object per
 * recipient, the addresses of the entry being read in two reused arrays, no spreads.
 */
export class SnapshotBuilder {
  private readonly mailboxes: KeyedMailbox[] = [];
  private readonly contacts: DirectoryContact[] = [];
  readonly problems: EntryProblem[] = [];
  private order: { mailboxes: readonly KeyedMailbox[]; contacts: readonly DirectoryContact[] } | undefined;
  // the valid SMTP addresses of the entry being added, in the directory's order, and their keys
  private readonly addresses: string[] = [];
  private readonly keys: string[] = [];
  // the base DN's RDNs in lower case, split once for every contact's `ou`
  private baseRdns: readonly string[] | undefined;

  constructor(
    private readonly system: string,
    private readonly baseDn: string,
  ) {}

  add(e: DirectoryEntry): void {
    this.order = undefined;
    const addresses = this.addresses;
    const keys = this.keys;
    addresses.length = 0;
    keys.length = 0;
    let primary = -1;
    for (const value of e.addresses) {
      let address: string;
      let isPrimary: boolean;
      // the two prefixes every Exchange value has, without a regexp; the rest as splitProxyValue says
      if (value.startsWith('smtp:')) {
        address = value.slice(5);
        isPrimary = false;
      } else if (value.startsWith('SMTP:')) {
        address = value.slice(5);
        isPrimary = true;
      } else {
        const v = splitProxyValue(value);
        if (v === undefined) continue;
        address = v.address;
        isPrimary = v.primary;
      }
      const key = addressKey(address);
      if (typeof key !== 'string') {
        this.problems.push({ dn: e.dn, message: `${JSON.stringify(value)} ${key.error}: left out` });
        continue;
      }
      if (isPrimary && primary === -1) primary = addresses.length;
      addresses.push(address);
      keys.push(key);
    }
    if (e.target !== undefined) {
      this.addContact(e);
      return;
    }
    if (addresses.length === 0) {
      this.problems.push({ dn: e.dn, message: 'has no valid SMTP address: entry left out' });
      return;
    }
    if (primary === -1) primary = 0;
    const key = keys[primary]!;
    this.mailboxes.push({ address: addresses[primary]!, aliases: uniqueSorted(addresses, keys, key), key });
  }

  private addContact(e: DirectoryEntry): void {
    const target = splitProxyValue(e.target ?? '')?.address ?? e.target ?? '';
    const t = addressKey(target);
    if (typeof t !== 'string') {
      this.problems.push({ dn: e.dn, message: `target ${JSON.stringify(e.target)} ${t.error}: entry left out` });
      return;
    }
    const ou = ouBelow(e.dn, (this.baseRdns ??= rdns(this.baseDn).map((r) => r.toLowerCase())));
    // every field present (undefined when absent): one object shape for all contacts
    this.contacts.push({
      dn: e.dn,
      dnKey: e.dn.toLowerCase(),
      cn: (e.cn ?? firstRdnValue(e.dn)).slice(0, 64),
      ou,
      system: this.system,
      givenName: e.givenName,
      sn: e.sn,
      displayName: e.displayName,
      mailNickname: e.mailNickname,
      targetAddress: target,
      proxyAddresses: uniqueSorted(this.addresses, this.keys, t),
    } as DirectoryContact);
  }

  /** Mailboxes by address and contacts by DN: the snapshot's order (sorted once, in place). */
  private sorted(): { mailboxes: readonly KeyedMailbox[]; contacts: readonly DirectoryContact[] } {
    if (this.order === undefined) {
      this.mailboxes.sort((a, b) => cmp(a.key, b.key) || cmp(a.address, b.address));
      this.contacts.sort((a, b) => cmp(a.dnKey, b.dnKey) || cmp(a.dn, b.dn));
      this.order = { mailboxes: this.mailboxes, contacts: this.contacts };
    }
    return this.order;
  }

  /**
   * How many recipients a first snapshot adds: what diffSnapshots() counts for an empty
   * "before" (mailboxes by address, contacts by targetAddress, case-insensitively), without
   * building the document.
   */
  recipientCount(): number {
    // mailboxes of one address in lower case have one key: they are neighbours in the sorted list
    const { mailboxes, contacts } = this.sorted();
    let count = 0;
    let run: Set<string> | undefined;
    for (let i = 0; i < mailboxes.length; i++) {
      const m = mailboxes[i]!;
      const prev = mailboxes[i - 1];
      if (prev === undefined || prev.key !== m.key) {
        run = undefined;
        count++;
        continue;
      }
      run ??= new Set([prev.address.toLowerCase()]);
      if (!run.has(m.address.toLowerCase())) {
        run.add(m.address.toLowerCase());
        count++;
      }
    }
    const targets = new Set<string>();
    for (const c of contacts) targets.add(c.targetAddress.toLowerCase());
    return count + targets.size;
  }

  /**
   * The snapshot as plain data, as YAML would read the rendered file back (fields in the
   * rendered order), for the change report without parsing 100,000 entries again.
   */
  document(system: string): unknown {
    const { mailboxes, contacts } = this.sorted();
    const plain = (c: DirectoryContact): Record<string, unknown> => {
      const out: Record<string, unknown> = { cn: c.cn };
      for (const k of CONTACT_FIELDS) if (c[k] !== undefined) out[k] = c[k];
      out['targetAddress'] = c.targetAddress;
      out['proxyAddresses'] = c.proxyAddresses;
      return out;
    };
    return {
      systems: { [system]: { mailboxes: mailboxes.map((m) => (m.aliases.length === 0 ? m.address : { address: m.address, aliases: m.aliases })) } },
      contacts: contacts.map(plain),
    };
  }

  /**
   * The snapshot file as UTF-8: header, `systems: { NAME: { mailboxes } }`, `contacts`; sorted, LF.
   * The contacts are written as renderImported() writes them (its `mailbox`, `flow` and
   * comment helpers; test/directory/snapshot-render.test.ts compares the two), without
   * building an ImportedModel and a comment array per contact.
   */
  render(source: SnapshotSource): Buffer {
    const { mailboxes, contacts } = this.sorted();
    const n = (k: number, w: string): string => `${k} ${w}${k === 1 ? '' : 's'}`;
    // about 40 bytes per mailbox line and 250 per contact: one buffer, rarely grown
    const out = new Utf8Writer(4096 + mailboxes.length * 48 + contacts.length * 320);
    out.line(`${SNAPSHOT_MARK} of system ${JSON.stringify(source.system)}: do not edit, run \`chainmail import ldap\` again`);
    out.line(`# source: ${source.url} base ${JSON.stringify(source.baseDn)} filter ${JSON.stringify(source.filter)}${source.bindDn !== undefined ? ` bind ${JSON.stringify(source.bindDn)}` : ''}`);
    out.line(`# ${n(mailboxes.length, 'mailbox').replace('mailboxs', 'mailboxes')}, ${n(contacts.length, 'contact')}, ${n(this.problems.length, 'value')} left out; ${source.generator}`);
    out.line('');
    out.line('systems:');
    out.line(`  ${scalar(source.system)}:`);
    if (mailboxes.length === 0) out.line('    mailboxes: []');
    else {
      out.line('    mailboxes:');
      for (const m of mailboxes) {
        out.text('      - ');
        out.line(mailbox(m));
      }
    }
    if (contacts.length > 0) {
      out.line('');
      out.line('contacts:');
      for (const c of contacts) {
        out.line(commentLine(`dn: ${c.dn}`, '  '));
        out.text('  - cn: ');
        out.line(scalar(c.cn));
        for (const k of CONTACT_FIELDS) {
          const v = c[k];
          if (v !== undefined) out.line(`    ${k}: ${scalar(v)}`);
        }
        out.line(`    targetAddress: ${scalar(c.targetAddress)}`);
        out.line(`    proxyAddresses: ${flow(c.proxyAddresses)}`);
      }
    }
    return out.bytes();
  }
}

/** The optional contact fields between `cn` and `targetAddress`, in renderImported()'s order. */
const CONTACT_FIELDS = ['ou', 'system', 'givenName', 'sn', 'displayName', 'mailNickname'] as const;

/**
 * The addresses other than `but` (a key), each key once (the first spelling), sorted by key.
 * Most entries have none or one: no map, no sort.
 */
function uniqueSorted(addresses: readonly string[], keys: readonly string[], but: string): readonly string[] {
  let only = -1;
  let more = false;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === but || (only !== -1 && keys[i] === keys[only])) continue;
    if (only === -1) only = i;
    else more = true;
  }
  if (only === -1) return NO_ALIASES;
  if (!more) return [addresses[only]!];
  const byKey = new Map<string, string>();
  for (let i = 0; i < keys.length; i++) if (keys[i] !== but && !byKey.has(keys[i]!)) byKey.set(keys[i]!, addresses[i]!);
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

/** `cn=x,ou=a,ou=b,BASE` -> `a,b` (the contact's `ou`; `base`: the RDNs of BASE in lower case); undefined when not only OUs lie between. */
function ouBelow(dn: string, base: readonly string[]): string | undefined {
  const all = rdns(dn);
  const tail = all.slice(all.length - base.length).map((r) => r.toLowerCase());
  if (base.length === 0 || tail.join(',') !== base.join(',')) return undefined;
  const between = all.slice(1, all.length - base.length);
  if (between.length === 0 || !between.every((r) => /^ou=[^\\]*$/i.test(r))) return undefined;
  return between.map((r) => r.slice(3)).join(',');
}
