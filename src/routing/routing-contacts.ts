import type { ContactDecl, Model, SystemDecl } from '../model/model.js';
import { parseAddress } from '../normalize/address.js';
import { resolveUnlisted } from './resolve.js';
import { tableIndex, type RecipientEntry, type RoutingTable } from './table.js';

/**
 * The reverse path at an authoritative Exchange system (docs/routing.md, lookup step 3,
 * "Exchange"). Exchange routes a message by the recipient object it resolves in its
 * directory, never per recipient to a host: a recipient that another system of the
 * organisation hosts, in a domain this Exchange system is authoritative for, is reached
 * only through a mail contact whose targetAddress is in a domain routed to the hosting
 * system (its `routingDomain`), as cross-forest (GALSync) and hybrid coexistence do
 * (`ann@a.local`, `alias@tenant.mail.onmicrosoft.com`). chainmail generates those
 * contacts: they are rewrite entries of the Exchange system's table, like the contacts of
 * the file (method 2), and the LDIF, csvde and setup.ps1 targets write them.
 */
export class ExchangeContacts {
  /** Per hosting system: mailbox key -> its address in the routing domain (its own alias there, if any). */
  private readonly targets = new Map<string, Map<string, string>>();
  /** Per hosting system: whether this Exchange system routes its routing domain onward (a connector). */
  private readonly routed = new Map<string, boolean>();

  constructor(
    private readonly table: RoutingTable,
    private readonly own: ReadonlyMap<string, ReadonlyMap<string, RecipientEntry>>,
    /** The keys a system resolves in a domain (compile.ts keysByDomain). */
    private readonly keysIn: (system: string, domain: string) => readonly string[],
  ) {}

  /** Whether any recipient of `host` can get a contact here: it has a routing domain that this system routes onward. */
  reaches(host: SystemDecl): boolean {
    const rd = routingDomainOf(host);
    return rd !== undefined && this.routes(host.name, rd);
  }

  /**
   * Whether an Exchange system's table can get contacts at all: another system of the file
   * has a routing domain. Asked before the table exists (no routing question: that needs
   * the table), so that the table copies its own recipients only when contacts may be added.
   */
  static possible(model: Model, exchange: SystemDecl): boolean {
    for (const o of model.systems.values()) if (o.name !== exchange.name && routingDomainOf(o) !== undefined) return true;
    return false;
  }

  /**
   * The contact entry for `key`, hosted by `host`: undefined where the hosting system does
   * not deliver it (a contact of its own), has no routing domain, or this system has no
   * route for that domain: then Exchange answers 550 5.1.1, and unreachable-recipient says
   * what to add.
   */
  entry(host: SystemDecl, key: string): RecipientEntry | undefined {
    const e = this.own.get(host.name)?.get(key);
    const rd = routingDomainOf(host);
    if (e?.action !== 'deliver' || !rd || !this.routes(host.name, rd)) return undefined;
    const to = this.targetsOf(host.name, rd).get(e.mailbox) ?? `${e.mailbox.slice(0, e.mailbox.lastIndexOf('@'))}@${rd}`;
    return { action: 'rewrite', to, contact: contactName(e.mailbox, host.name), hostedBy: host.name };
  }

  /**
   * Mail submitted here for the routing domain leaves by a connector to the hosting system
   * (not refused, not "local", not a "*" connector to the internet that merely covers it).
   */
  private routes(host: string, rd: string): boolean {
    let ok = this.routed.get(host);
    if (ok === undefined) {
      const d = resolveUnlisted(this.table, { key: '', local: '', domain: rd }, 'local');
      ok = d.kind === 'forward' && d.nextHop.system === host;
      this.routed.set(host, ok);
    }
    return ok;
  }

  private targetsOf(host: string, rd: string): Map<string, string> {
    let m = this.targets.get(host);
    if (!m) {
      m = new Map();
      const own = this.own.get(host);
      // sorted keys: the first alias of a mailbox in the routing domain is its target
      for (const k of [...this.keysIn(host, rd)].sort()) {
        const e = own?.get(k);
        if (e?.action === 'deliver' && !m.has(e.mailbox)) m.set(e.mailbox, k);
      }
      this.targets.set(host, m);
    }
    return m;
  }
}

/** The cn of the contact generated for a mailbox of `host`: one per mailbox, unique. */
function contactName(mailbox: string, host: string): string {
  return `${mailbox} (${host})`;
}

/**
 * The generated contacts of every Exchange table as contacts of the file would be written
 * (targetAddress, the recipient addresses as secondary proxyAddresses), for the LDIF,
 * csvde and Exchange targets; sorted by system, then cn. Their place in the file is the
 * hosting system's `routingDomain`.
 */
export function routingContacts(model: Model, tables: ReadonlyMap<string, RoutingTable>): ContactDecl[] {
  const out: ContactDecl[] = [];
  for (const t of [...tables.values()].sort((a, b) => cmp(a.system, b.system))) {
    if (t.kind !== 'exchange') continue;
    const byCn = new Map<string, { to: string; host: string; keys: string[] }>();
    for (const [key, e] of tableIndex(t).recipients) {
      if (e.action !== 'rewrite' || e.hostedBy === undefined) continue;
      const c = byCn.get(e.contact);
      if (c) c.keys.push(key);
      else byCn.set(e.contact, { to: e.to, host: e.hostedBy, keys: [key] });
    }
    for (const [cn, c] of [...byCn].sort(([a], [b]) => cmp(a, b))) {
      const path = [...(model.systems.get(c.host)?.path ?? ['systems', c.host]), 'routingDomain'];
      out.push({
        cn,
        system: t.system,
        displayName: cn,
        mailNickname: nickname(c.to),
        hostedBy: c.host,
        targetAddress: parseAddress(c.to),
        proxyAddresses: c.keys.sort().map((k) => ({ address: parseAddress(k), primary: false, at: { path } })),
        path,
      });
    }
  }
  return out;
}

/**
 * mailNickname (Exchange alias): without it the contact gets no E-mail Addresses tab (seed,
 * method 2 step 2). Exchange allows letters, digits and !#$%&'*+-/=?^_`{|}~ and dots; the
 * target's local part with anything else as "_", and the routing domain's first label,
 * so that two hosting systems' contacts do not share one.
 */
function nickname(target: string): string {
  const at = target.lastIndexOf('@');
  const label = target.slice(at + 1).split('.')[0] ?? '';
  return `${target.slice(0, at)}.${label}`.replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]/g, '_').slice(0, 64);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A system's routing domain (A-label), if it has a valid one. */
function routingDomainOf(s: SystemDecl): string | undefined {
  const rd = s.routingDomain?.ascii;
  return rd === undefined || rd === '' ? undefined : rd;
}
