import { Document, visit } from 'yaml';
import type { Target } from '../diagnostics/diagnostic.js';
import { q } from '../diagnostics/diagnostic.js';
import type { Address, ContactDecl, DomainName, MailboxDecl, Model } from '../model/model.js';
import { parseDomain } from '../normalize/address.js';
import type { RuleContext } from './rule.js';

/**
 * Indexes shared between rules, each computed once per analysis run through `ctx.memo`.
 * Every builder is a single pass over the model, so rules stay O(n) for the 100,000
 * addresses a `mailboxFiles` list may hold (spec section 1).
 */
export type Memo = Pick<RuleContext, 'memo'>;

/** The object kind an address belongs to. */
export type AddressRole = 'mailbox' | 'alias' | 'contact-proxy' | 'contact-target';

/** One address of the file with the object that holds it. */
export interface OwnedAddress {
  readonly address: Address;
  readonly at: Target;
  readonly role: AddressRole;
  /** Who holds it, for messages: `mailbox of system "exchange"`. Shared strings, not per entry. */
  readonly owner: string;
  /** The holding object (a mailbox or a contact): two addresses of one object compare by identity. */
  readonly object: MailboxDecl | ContactDecl;
  /** The system the object lives on (the contact's directory system, when known). */
  readonly system?: string;
}

/** Every address of the file in file order: mailboxes (YAML, then mailbox files), aliases, contacts. */
export function addressEntries(ctx: Memo): readonly OwnedAddress[] {
  return ctx.memo('indexes:addressEntries', buildAddressEntries);
}

export function buildAddressEntries(model: Model): OwnedAddress[] {
  const out: OwnedAddress[] = [];
  forEachAddress(model, (address, at, role, owner, object, system) => {
    out.push({ address, at, role, owner, object, ...(system !== undefined ? { system } : {}) });
  });
  return out;
}

/** What `forEachAddress` passes per address: the fields of an `OwnedAddress`, not an object. */
export type AddressVisitor = (
  address: Address,
  at: Target,
  role: AddressRole,
  owner: string,
  object: MailboxDecl | ContactDecl,
  system: string | undefined,
) => void;

/**
 * The addresses of `addressEntries` in the same order, passed to `each` without an object
 * per address: the rules that read every address once (duplicate-address, invalid-address,
 * the domain uses) need no array of 100,000 entries, which the garbage collector then
 * copies between generations.
 */
export function forEachAddress(model: Model, each: AddressVisitor): void {
  for (const sys of model.systems.values()) {
    const mailboxOwner = `mailbox of system ${q(sys.name)}`;
    for (const m of sys.mailboxes) {
      each(m.address, m.at, 'mailbox', mailboxOwner, m, sys.name);
      if (m.aliases.length === 0) continue;
      const aliasOwner = `alias of mailbox ${q(m.address.display)} on system ${q(sys.name)}`;
      for (const a of m.aliases) each(a.address, a.at, 'alias', aliasOwner, m, sys.name);
    }
  }
  for (const c of model.contacts) {
    const l = contactLabels(c);
    each(c.targetAddress, l.targetAt, 'contact-target', l.targetOwner, c, c.system);
    for (const p of c.proxyAddresses) each(p.address, p.at, 'contact-proxy', l.proxyOwner, c, c.system);
  }
}

/**
 * A contact's place and owner strings, made once per (immutable) contact: three rules walk
 * the addresses, and 20,000 contacts would otherwise quote their cn six times each.
 */
function contactLabels(c: ContactDecl): ContactLabels {
  let l = contactLabelCache.get(c);
  if (!l) {
    const cn = q(c.cn);
    l = { targetAt: { path: [...c.path, 'targetAddress'] }, targetOwner: `target address of contact ${cn}`, proxyOwner: `proxy address of contact ${cn}` };
    contactLabelCache.set(c, l);
  }
  return l;
}

interface ContactLabels {
  readonly targetAt: Target;
  readonly targetOwner: string;
  readonly proxyOwner: string;
}
const contactLabelCache = new WeakMap<ContactDecl, ContactLabels>();

/**
 * Every valid address by key (lower-cased local part + A-label domain), in file order.
 * Most keys have one entry; duplicate-address reports the others.
 */
export function addressesByKey(ctx: Memo): ReadonlyMap<string, readonly OwnedAddress[]> {
  return ctx.memo('indexes:addressesByKey', () => {
    const out = new Map<string, OwnedAddress[]>();
    for (const e of addressEntries(ctx)) {
      const key = e.address.key;
      if (!key) continue;
      const list = out.get(key);
      if (list) list.push(e);
      else out.set(key, [e]);
    }
    return out;
  });
}

/** How a domain is used. Policies, connectors, chains and sending systems name spaces; the rest are addresses. */
export type DomainUseKind = 'policy' | 'connector' | 'chain' | 'sending' | 'routing-domain' | AddressRole;

/** Plural nouns of the use kinds, for "and 99,999 more mailboxes". */
export const USE_NOUNS: Readonly<Record<DomainUseKind, readonly [string, string]>> = {
  policy: ['policy space', 'policy spaces'],
  connector: ['connector address space', 'connector address spaces'],
  chain: ['chain domain', 'chain domains'],
  sending: ['sending domain', 'sending domains'],
  'routing-domain': ['routing domain', 'routing domains'],
  mailbox: ['mailbox', 'mailboxes'],
  alias: ['alias', 'aliases'],
  'contact-proxy': ['contact proxy address', 'contact proxy addresses'],
  'contact-target': ['contact target address', 'contact target addresses'],
};

/** The uses of one domain of one kind: the first (for the report) and how many there are. */
export interface DomainUseGroup {
  readonly kind: DomainUseKind;
  readonly domain: DomainName;
  readonly at: Target;
  /** The first use, for messages: `policy "Shared example.com"`, `mailbox "a@example.com" of system "x"`. */
  readonly what: string;
  readonly count: number;
}

/**
 * Every valid domain the file uses, by A-label, grouped by kind of use in order of first use.
 * Invalid names (empty A-label) are left out: invalid-address reports them.
 */
export function domainUses(ctx: Memo): ReadonlyMap<string, readonly DomainUseGroup[]> {
  return ctx.memo('indexes:domainUses', buildDomainUses);
}

export function buildDomainUses(model: Model): Map<string, DomainUseGroup[]> {
  const out = new Map<string, { -readonly [K in keyof DomainUseGroup]: DomainUseGroup[K] }[]>();
  /** Counts a use of a kind already seen and returns undefined; for the first one (of a valid name), the list to add its group to. */
  const firstUse = (kind: DomainUseKind, domain: DomainName): DomainUseGroup[] | undefined => {
    if (!domain.ascii) return undefined;
    let groups = out.get(domain.ascii);
    if (!groups) out.set(domain.ascii, (groups = []));
    const g = groups.find((x) => x.kind === kind);
    if (!g) return groups;
    g.count++;
    return undefined;
  };
  // describe is a thunk: only the first use of a domain is described
  const add = (kind: DomainUseKind, domain: DomainName, at: Target, describe: () => string): void => {
    firstUse(kind, domain)?.push({ kind, domain, at, what: describe(), count: 1 });
  };
  for (const p of model.policies) {
    for (const a of p.addresses) add('policy', a.domain, { path: [...a.path, 'space'] }, () => `policy ${q(p.name)}`);
  }
  for (const c of model.connectors) {
    for (const s of c.addressSpaces) {
      if (s.domain !== '*') add('connector', s.domain, { path: s.path }, () => `connector ${q(c.name)}`);
    }
  }
  for (const c of model.chains) {
    for (const d of c.domains) add('chain', d.domain, { path: d.path }, () => `chain ${q(c.name)}`);
  }
  // systems.*.sends.domains (docs/dns.md): the domains a system sends as
  for (const s of model.systems.values()) {
    for (const d of s.sends?.domains ?? []) add('sending', d.domain, { path: d.path }, () => `system ${q(s.name)} (sends)`);
    if (s.routingDomain) add('routing-domain', s.routingDomain, { path: s.routingDomain.path }, () => `system ${q(s.name)} (routingDomain)`);
  }
  // no closure per address: 100,000 mailboxes in a few dozen domains are counted
  forEachAddress(model, (address, at, role, owner) => {
    firstUse(role, address.domain)?.push({ kind: role, domain: address.domain, at, what: `${q(address.display)} (${owner})`, count: 1 });
  });
  return out;
}

/**
 * Declared domain keys as written, grouped by A-label in file order (invalid names left out).
 * More than one key per A-label means one domain declared in two spellings.
 */
export function declaredSpellings(ctx: Memo): ReadonlyMap<string, readonly string[]> {
  return ctx.memo('indexes:declaredSpellings', (model) => {
    const out = new Map<string, string[]>();
    for (const name of Object.keys(model.config.domains ?? {})) {
      const ascii = parseDomain(name).ascii;
      if (!ascii) continue;
      const list = out.get(ascii);
      if (list) list.push(name);
      else out.set(ascii, [name]);
    }
    return out;
  });
}

/** A-labels of domains that exist but failed the schema (references to them are not unknown). */
export function rejectedDomains(ctx: Memo): ReadonlySet<string> {
  return ctx.memo('indexes:rejectedDomains', (model) => {
    const out = new Set<string>();
    for (const name of model.rejected.domains) {
      const ascii = parseDomain(name).ascii;
      if (ascii) out.add(ascii);
    }
    return out;
  });
}

/** Every system name, including those that failed the schema. */
export function systemNames(ctx: Memo): ReadonlySet<string> {
  return ctx.memo('indexes:systemNames', (model) => new Set([...model.systems.keys(), ...model.rejected.systems]));
}

/**
 * Whether a `forwardUnresolvedTo` value names a host rather than a system: a dot, brackets or
 * a colon make it a host (`mail.example.com`, `[10.0.0.5]`, `relay:25`); a bare word is a
 * system name. (A system name may contain a dot; written here it reads as a host.)
 */
export function isHostReference(value: string): boolean {
  return /[.[\]:]/.test(value);
}

/** A domain for a message: `"例え.jp" (xn--r8jz45g.jp)`, both forms when they differ (spec section 1). */
export function domainLabel(d: DomainName): string {
  const other = d.display.toLowerCase().replace(/\.$/, '') === d.ascii ? d.unicode : d.ascii;
  return other && other !== d.display && other !== d.display.toLowerCase() ? `${q(d.display)} (${other})` : q(d.display);
}

/** 100000 -> "100,000", without depending on the runtime's locale data. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** A fix's YAML: block mappings, flow lists (`order: [exchange, unix]`), quoted only where needed. */
export function yamlSnippet(value: Record<string, unknown>): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_, node) {
      node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd();
}
