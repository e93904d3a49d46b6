import { psTokenize } from '../hardening/support/parsers.js';

/**
 * An independent reading of a generated setup.ps1: a small interpreter of the Exchange
 * Management Shell cmdlets the script uses, written from Microsoft's cmdlet and feature
 * documentation, not from chainmail's compiler or routing engine. It builds the Exchange
 * state the script leaves on an organisation that has the mailboxes the script looks up
 * (chainmail creates none) and the Recipient Filter agent installed (the script's guard),
 * then answers what Exchange does with one recipient from an anonymous SMTP client.
 *
 * Sources (office-docs-powershell, OfficeDocs-Exchange):
 * - New-AcceptedDomain / Set-AcceptedDomain: DomainType Authoritative | InternalRelay;
 *   AddressBookEnabled defaults to $true for Authoritative, $false for relay domains.
 * - Accepted domains in Exchange Server: an anonymous sender may send only to accepted
 *   domains (else "550 5.7.54 Unable to relay"); Exchange is responsible for NDRs of
 *   Authoritative domains; mail for unknown recipients of an InternalRelay domain goes to
 *   the send connector for it.
 * - Recipient filtering: with RecipientValidationEnabled, a recipient not found by
 *   Recipient Lookup gets "550 5.1.1 User unknown" at RCPT; lookups are made for
 *   authoritative domains only.
 * - New-SendConnector / Set-SendConnector: AddressSpaces, SmartHosts (literal IP or FQDN),
 *   DNSRoutingEnabled $false; connector selection: the most specific address space wins,
 *   "*" matches every domain; no matching connector: the Unreachable queue.
 * - Set-Mailbox -EmailAddresses @{Add=...}: adds proxy addresses. Get-Mailbox -Identity
 *   takes an email address.
 * - New-MailContact -ExternalEmailAddress (stored as targetAddress: mail to the contact is
 *   sent there); Set-MailContact -EmailAddresses replaces the proxy addresses.
 */

export interface ExchangeState {
  readonly domains: Map<string, { type: string; addressBook: boolean }>;
  validation: boolean;
  readonly connectors: Map<string, { spaces: string[]; hosts: string[] }>;
  /** Recipients by lower-case address: a mailbox (by its identity) or a contact (its target). */
  readonly recipients: Map<string, { kind: 'mailbox'; mailbox: string } | { kind: 'contact'; target: string }>;
}

type Item = { readonly w: string } | { readonly s: string };

/** The script as lines of words (code) and strings (single-quoted values); comments dropped. */
function lines(script: string): Item[][] {
  const out: Item[][] = [[]];
  for (const t of psTokenize(script)) {
    if (t.kind === 'comment') {
      if (t.text.includes('\n')) out.push([]);
      continue;
    }
    if (t.kind === 'sq') {
      out[out.length - 1]?.push({ s: t.value ?? '' });
      continue;
    }
    const parts = t.text.replace(/@\{Add=/g, ' @ADD ').replace(/([{}()|;,])/g, ' $1 ').split('\n');
    parts.forEach((p, k) => {
      if (k > 0) out.push([]);
      for (const w of p.split(/\s+/)) if (w !== '') out[out.length - 1]?.push({ w });
    });
  }
  return out;
}

const STOP = new Set(['}', '{', ')', '(', '|', ';']);

/** The parameters of the command at `items[i]`: -Name values... until the command ends. */
function params(items: Item[], i: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let name: string | undefined;
  for (let k = i + 1; k < items.length; k++) {
    const it = items[k] as Item;
    if ('w' in it) {
      if (STOP.has(it.w)) {
        // @{Add=...} ends with its own brace
        if (it.w === '}' && name !== undefined && out.get(name)?.[0] === '@ADD') continue;
        break;
      }
      if (/^-[A-Za-z]+$/.test(it.w)) {
        name = it.w.slice(1);
        out.set(name, []);
        continue;
      }
      if (it.w === ',' || name === undefined) continue;
      out.get(name)?.push(it.w);
    } else if (name !== undefined) out.get(name)?.push(it.s);
  }
  return out;
}

const strip = (a: string): string => a.replace(/^smtp:/i, '');

/** Runs the script's cmdlets in order against an empty organisation. */
export function readSetupPs1(script: string): ExchangeState {
  const st: ExchangeState = { domains: new Map(), validation: false, connectors: new Map(), recipients: new Map() };
  let lastMailbox: string | undefined;
  let lastConnector: string | undefined;
  let lastContactIdentity: string | undefined;
  /** Contacts by the identity the script names them with: target and proxy addresses. */
  const contacts = new Map<string, { target: string; addresses: string[] }>();
  for (const items of lines(script)) {
    items.forEach((it, i) => {
      if (!('w' in it)) return;
      const next = items[i + 2];
      // Where-Object { $_.Name -eq 'X' } names the connector the following Set-* changes
      if (it.w === '$_.Name' && next && 's' in next) lastConnector = next.s;
      const p = (): Map<string, string[]> => params(items, i);
      const one = (m: Map<string, string[]>, k: string): string => m.get(k)?.[0] ?? '';
      switch (it.w) {
        case 'New-AcceptedDomain': {
          const m = p();
          const type = one(m, 'DomainType');
          st.domains.set(one(m, 'DomainName').toLowerCase(), { type, addressBook: type === 'Authoritative' });
          break;
        }
        case 'Set-AcceptedDomain': {
          const m = p();
          const d = st.domains.get(one(m, 'Identity').toLowerCase());
          if (!d) throw new Error(`Set-AcceptedDomain ${one(m, 'Identity')}: no such accepted domain`);
          if (m.has('DomainType')) d.type = one(m, 'DomainType');
          if (m.has('AddressBookEnabled')) d.addressBook = one(m, 'AddressBookEnabled') === '$true';
          break;
        }
        case 'Set-RecipientFilterConfig':
          if (one(p(), 'RecipientValidationEnabled') === '$true') st.validation = true;
          break;
        case 'New-SendConnector':
        case 'Set-SendConnector': {
          const m = p();
          const name = it.w === 'New-SendConnector' ? one(m, 'Name') : (lastConnector ?? '');
          st.connectors.set(name, { spaces: (m.get('AddressSpaces') ?? []).map((s) => s.toLowerCase()), hosts: m.get('SmartHosts') ?? [] });
          break;
        }
        case 'Get-Mailbox': {
          // the organisation has the mailboxes the script looks up (chainmail creates none)
          lastMailbox = one(p(), 'Identity');
          st.recipients.set(lastMailbox.toLowerCase(), { kind: 'mailbox', mailbox: lastMailbox.toLowerCase() });
          break;
        }
        case 'Set-Mailbox': {
          const add = p().get('EmailAddresses') ?? [];
          if (add[0] !== '@ADD' || lastMailbox === undefined) throw new Error('Set-Mailbox without @{Add=...} after Get-Mailbox');
          for (const a of add.slice(1)) st.recipients.set(strip(a).toLowerCase(), { kind: 'mailbox', mailbox: lastMailbox.toLowerCase() });
          break;
        }
        case 'Get-MailContact':
          lastContactIdentity = one(p(), 'Identity');
          break;
        case 'New-MailContact': {
          const target = strip(one(p(), 'ExternalEmailAddress'));
          // a new contact's primary address is its external address
          contacts.set(lastContactIdentity ?? target, { target, addresses: [`SMTP:${target}`] });
          break;
        }
        case 'Set-MailContact': {
          const m = p();
          const contact = contacts.get(one(m, 'Identity'));
          if (contact === undefined) throw new Error(`Set-MailContact ${one(m, 'Identity')}: no such contact`);
          contact.addresses = m.get('EmailAddresses') ?? [];
          break;
        }
      }
    });
  }
  for (const { target, addresses } of contacts.values()) {
    for (const a of addresses) {
      const key = strip(a).toLowerCase();
      if (!st.recipients.has(key)) st.recipients.set(key, { kind: 'contact', target });
    }
  }
  return st;
}

/** What Exchange does with one recipient from an anonymous SMTP client. */
export type ExchangeAnswer =
  | { readonly rcpt: 'reject'; readonly status: '5.1.1' | '5.7.1' }
  | { readonly rcpt: 'accept'; readonly then: 'deliver'; readonly mailbox: string }
  | { readonly rcpt: 'accept'; readonly then: 'send'; readonly hosts: readonly string[] }
  | { readonly rcpt: 'accept'; readonly then: 'ndr' | 'mx' };

export function exchangeAnswer(st: ExchangeState, address: string): ExchangeAnswer {
  const key = address.toLowerCase();
  const domain = key.slice(key.lastIndexOf('@') + 1);
  const accepted = st.domains.get(domain);
  // anonymous relay: only accepted domains
  if (!accepted) return { rcpt: 'reject', status: '5.7.1' };
  const found = st.recipients.get(key);
  if (!found && accepted.type === 'Authoritative' && st.validation && accepted.addressBook) return { rcpt: 'reject', status: '5.1.1' };
  return { rcpt: 'accept', ...route(st, key, 0) } as ExchangeAnswer;
}

/** Categorisation and routing of an accepted recipient. */
function route(st: ExchangeState, key: string, depth: number): Record<string, unknown> {
  const found = st.recipients.get(key);
  if (found?.kind === 'mailbox') return { then: 'deliver', mailbox: found.mailbox };
  if (found?.kind === 'contact' && depth < 20) {
    const target = found.target.toLowerCase();
    // the target is resolved again; a contact whose target is itself is sent on
    if (target !== key) return route(st, target, depth + 1);
  }
  const domain = key.slice(key.lastIndexOf('@') + 1);
  const accepted = st.domains.get(domain);
  // Exchange is responsible for the NDRs of an Authoritative domain: an address there that
  // is no mailbox (or a contact that points at itself) is not sent on
  if (accepted?.type === 'Authoritative') return { then: 'ndr' };
  let best: { spaces: string[]; hosts: string[] } | undefined;
  for (const [, c] of [...st.connectors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (c.spaces.includes(domain)) return { then: 'send', hosts: c.hosts };
    if (!best && c.spaces.includes('*')) best = c;
  }
  // no send connector: the Unreachable queue, and an NDR when the message expires
  return best ? { then: 'send', hosts: best.hosts } : { then: 'ndr' };
}
