import { forEachMerged, tableIndex, type NextHop, type RoutingTable } from '../../../routing/table.js';
import { keyAnswer, resolve, resolveUnlisted, type Decision, type Origin } from '../../../routing/resolve.js';
import { relayhostValue, relayTransport } from './nexthop.js';

/**
 * What one system's Postfix must do, derived from its compiled routing table with the
 * lookup order of the routing engine (docs/routing.md, src/routing/resolve.ts): the recipient
 * itself, then the accepted domain (RCPT validation, forwardUnresolvedTo, authority,
 * connector), then relay connectors. Deriving the maps from the same table is what keeps
 * Postfix, the simulator and the embedded relay in agreement (test/build/postfix-agree.test.ts).
 *
 * Every client is anonymous here, as in the routing engine: Postfix's smtpd has the
 * origin 'internet'/'peer'; mail submitted locally (sendmail, pickup) is never relay-checked.
 */
export interface PostfixRoutes {
  /** relay_domains: every domain this system accepts mail for from others. */
  readonly relayDomains: readonly DomainLine[];
  /** relay_recipient_maps, by domain: the recipients accepted at RCPT time. */
  readonly relayRecipients: readonly RecipientGroup[];
  /**
   * transport_maps: the system's own mailboxes (-> localTransport), recipients whose route
   * differs from their domain's, then per-domain next hops.
   */
  readonly transport: { readonly mailboxes: readonly Entry[]; readonly elsewhere: readonly Entry[]; readonly domains: readonly DomainEntry[] };
  /** virtual_alias_maps: aliases (-> mailbox) and contacts (secondary -> targetAddress). */
  readonly virtual: { readonly aliases: readonly Entry[]; readonly contacts: readonly Entry[] };
  /** A "*" connector: the next hop of everything else that is sent from here. */
  readonly relayhost?: { readonly value: string; readonly connector: string };
}

export interface Entry {
  readonly key: string;
  readonly value: string;
}

export interface DomainLine {
  readonly domain: string;
  /** Why the domain is accepted (one line, for a comment). */
  readonly why: string;
}

export interface DomainEntry extends Entry {
  readonly why: string;
}

export interface RecipientGroup {
  readonly domain: string;
  readonly why: string;
  /** `@domain` wild card: the recipients are not known here (backscatter-prone). */
  readonly wildcard: boolean;
  readonly keys: readonly string[];
}

type Action =
  | { readonly kind: 'deliver'; readonly mailbox: string; readonly alias: boolean }
  | { readonly kind: 'rewrite'; readonly to: string }
  | { readonly kind: 'forward'; readonly hop: NextHop; readonly why: string }
  | { readonly kind: 'local'; readonly why: string }
  | { readonly kind: 'refuse' };

/** Derives the Postfix routes of one system. `localTransport` delivers its own mailboxes. */
export function postfixRoutes(table: RoutingTable, localTransport: string): PostfixRoutes {
  const value = (a: Action): string | undefined =>
    a.kind === 'forward' ? relayTransport(a.hop) : a.kind === 'local' || a.kind === 'deliver' ? localTransport : undefined;

  // Every decision is the routing engine's own (resolve(), origin 'peer': smtpd's clients
  // are anonymous); this file only turns decisions into map entries.
  const unlisted = (d: string, origin: Origin): Decision => resolveUnlisted(table, { key: '', local: '', domain: d }, origin);
  const forwardWhy = (d: Decision & { kind: 'forward' }, suffix = ''): string =>
    d.reason.connector !== undefined
      ? `connector ${JSON.stringify(d.reason.connector)}${suffix}`
      : d.reason.hostedBy !== undefined
        ? `hosted by system ${JSON.stringify(d.reason.hostedBy)}`
        : 'forwardUnresolvedTo of the system';
  const fromDecision = (d: Decision, suffix = ''): Action => {
    if (d.kind === 'forward') return { kind: 'forward', hop: d.nextHop, why: forwardWhy(d, suffix) };
    if (d.kind === 'deliver') return { kind: 'local', why: `policy ${JSON.stringify(d.reason.policy ?? '')} is authoritative and the system does not list its recipients` };
    return { kind: 'refuse' };
  };
  // The domain-level route of an accepted domain for a recipient that passed RCPT validation.
  const domainAction = (d: string): Action => fromDecision(unlisted(d, 'peer'));
  // resolve() for one recipient, origin peer/internet.
  const index = tableIndex(table);
  const action = (key: string, d: string): Action => {
    const e = index.recipients.get(key);
    if (e) return e.action === 'deliver' ? { kind: 'deliver', mailbox: e.mailbox, alias: e.alias === true } : { kind: 'rewrite', to: e.to };
    const decision = resolve(table, { key, local: key.slice(0, key.lastIndexOf('@')), domain: d }, { origin: 'peer', received: 0 });
    // resolve() shares one decision among the recipients of a domain or of a peer: one
    // action (and one transport value) per decision, not one per recipient
    const accepted = index.domains.has(d);
    if (decision.kind !== 'forward') return fromDecision(decision, accepted ? '' : ' (relay allowed)');
    const byDecision = accepted ? acceptedActions : otherActions;
    let a = byDecision.get(decision);
    if (!a) byDecision.set(decision, (a = fromDecision(decision, accepted ? '' : ' (relay allowed)')));
    return a;
  };
  const acceptedActions = new Map<Decision, Action>();
  const otherActions = new Map<Decision, Action>();
  const values = new Map<Action, string | undefined>();
  const valueOf = (a: Action): string | undefined => {
    if (values.has(a)) return values.get(a);
    const v = value(a);
    values.set(a, v);
    return v;
  };

  const domainEntries = new Map<string, DomainEntry>();
  const relayDomains = new Map<string, DomainLine>();
  const groups = new Map<string, { why: string; wildcard: boolean; keys: string[] }>();
  const mailboxes: Entry[] = [];
  const elsewhere: Entry[] = [];
  const aliases: Entry[] = [];
  const contacts: Entry[] = [];
  const group = (d: string, why: string): { keys: string[]; wildcard: boolean; why: string } => {
    let g = groups.get(d);
    if (!g) groups.set(d, (g = { why, wildcard: false, keys: [] }));
    return g;
  };

  for (const [d, dom] of Object.entries(table.domains)) {
    const chain = dom.chain !== undefined ? `, chain ${JSON.stringify(dom.chain)}` : '';
    const authority = dom.authority === 'authoritative' ? 'authoritative' : 'not authoritative';
    relayDomains.set(d, { domain: d, why: `policy ${JSON.stringify(dom.policy)} (${authority}${chain})` });
    const a = domainAction(d);
    const v = value(a);
    if (v !== undefined && (a.kind === 'forward' || a.kind === 'local')) domainEntries.set(d, { key: d, value: v, why: a.why });
    const unknownAccepted = !dom.rejectUnknown && a.kind !== 'refuse';
    const why = dom.rejectUnknown
      ? `every recipient of chain ${JSON.stringify(dom.chain ?? '')} is known here: unknown ones are rejected at RCPT (550 5.1.1)`
      : unknownAccepted
        ? `recipients are not known here (${a.kind === 'local' ? 'delivered locally' : 'forwarded'}); unknown ones bounce later: backscatter-prone`
        : `policy ${JSON.stringify(dom.policy)} is authoritative: unknown recipients are rejected at RCPT (550 5.1.1)`;
    const g = group(d, why);
    if (unknownAccepted) g.wildcard = true;
  }

  // The table's own, known and hosted recipients (the reverse path) in one sorted pass over
  // the three sorted lists (the table sorts them once for routes.json too), merged as they
  // are read: no merged list of 100,000 keys. A hosted recipient gets a transport entry to
  // its system's next hop and a relay_recipients line. What every key of a domain shares
  // (its group, its domain route, whether relay_domains lists it) is looked up once per key.
  const perDomain = new Map<string, KeyDomain>();
  forEachMerged(index.sortedKeys(), (key) => {
    const at = key.lastIndexOf('@');
    const d = key.slice(at + 1);
    let kd = perDomain.get(d);
    if (!kd) perDomain.set(d, (kd = { group: undefined, domainValue: domainEntries.get(d)?.value, byAnswer: new Map() }));
    const e = index.recipients.get(key);
    let a: Action;
    if (e) a = e.action === 'deliver' ? { kind: 'deliver', mailbox: e.mailbox, alias: e.alias === true } : { kind: 'rewrite', to: e.to };
    else {
      // A key the table does not list: keyAnswer() (resolve.ts) is everything resolve() reads
      // of it (which hop of the reverse path hosts it; whether it is known, where the domain
      // rejects unknown recipients); the rest is its domain, the origin (peer) and the
      // Received: count (0), the same for every key here. Its local part matters only for
      // sender-specified routing ("@", "%", "!": routesBySender, resolved one by one) and as
      // the mailbox of an assumed local delivery, which the action does not keep. So keys of
      // one domain with the same answer get the same action: resolve() decides the first of
      // them, the others reuse it. A cloud table's answer (-1: per-user lists) is no class.
      const answer = routesBySender(key, at) ? -1 : keyAnswer(table, { key, domain: d });
      const known = answer < 0 ? undefined : kd.byAnswer.get(answer);
      if (known) a = known;
      else {
        a = action(key, d);
        if (answer >= 0) kd.byAnswer.set(answer, a);
      }
    }
    if (a.kind === 'refuse') return;
    if (!kd.group) {
      if (!relayDomains.has(d)) {
        // resolve() delivers a listed recipient before it looks at the domain: accept the
        // domain for exactly the listed recipients (relay_recipient_maps rejects the rest).
        relayDomains.set(d, { domain: d, why: 'recipients of this system in a domain no policy accepts' });
      }
      kd.group = group(d, 'recipients listed for this system').keys;
    }
    kd.group.push(key);
    if (a.kind === 'deliver') {
      if (a.alias) aliases.push({ key, value: a.mailbox });
      else mailboxes.push({ key, value: localTransport });
    } else if (a.kind === 'rewrite') {
      contacts.push({ key, value: a.to });
    } else {
      const v = valueOf(a);
      // a recipient of another system follows its domain's route (the chain order), as in
      // the routing engine; only a different route needs an entry of its own
      if (v !== undefined && v !== kd.domainValue) elsewhere.push({ key, value: v });
    }
  });

  // Connectors for domains the system does not accept: a relay connector makes the domain
  // a relay domain (resolve() step 5); any other only routes mail submitted here.
  for (const c of table.connectors) {
    for (const d of c.addressSpaces) {
      if (d === '*' || table.domains[d] || domainEntries.has(d)) continue;
      const fromPeer = unlisted(d, 'peer');
      const relay = fromPeer.kind === 'forward' ? fromPeer : undefined;
      const fromHere = unlisted(d, 'local');
      const chosen = relay ?? (fromHere.kind === 'forward' ? fromHere : undefined);
      if (!chosen) continue;
      const name = JSON.stringify(chosen.reason.connector ?? '');
      if (relay) {
        relayDomains.set(d, { domain: d, why: `connector ${name} allows relaying to it` });
        const g = group(d, `relayed by connector ${name}: recipients are not known here, backscatter-prone`);
        g.wildcard = true;
      }
      const why = relay ? `connector ${name}` : `connector ${name} (mail sent from here only: it does not allow relaying)`;
      domainEntries.set(d, { key: d, value: relayTransport(chosen.nextHop), why });
    }
  }

  // An accepted domain that is not authoritative and has no route is refused as a relay
  // attempt by resolve() (seed step 4): leave it out of relay_domains, Postfix says 554 5.7.1.
  for (const [d, dom] of Object.entries(table.domains)) {
    const g = groups.get(d);
    if (dom.authority === 'internal-relay' && !domainEntries.has(d) && !g?.wildcard && (g?.keys.length ?? 0) === 0) relayDomains.delete(d);
  }

  // Local submission (sendmail, pickup) skips smtpd's checks and goes by the transport map
  // alone: an accepted domain without a route of its own gets the route the engine gives
  // mail submitted here (origin 'local'), and where that is a refusal an error(8) entry, so
  // that Postfix bounces with the engine's status instead of sending the mail to the
  // domain's MX or the relayhost. Its known recipients have entries of their own above.
  for (const d of Object.keys(table.domains)) {
    if (domainEntries.has(d)) continue;
    const local = unlisted(d, 'local');
    if (local.kind === 'refuse') domainEntries.set(d, { key: d, value: errorTransport(local), why: `mail submitted here for an unknown recipient is refused: ${local.reason.text}` });
    else if (local.kind === 'forward') domainEntries.set(d, { key: d, value: relayTransport(local.nextHop), why: `${forwardWhy(local)} (mail submitted here)` });
  }

  const star = table.connectors.find((c) => c.addressSpaces.includes('*'));
  return {
    relayDomains: [...relayDomains.values()].sort((a, b) => cmp(a.domain, b.domain)),
    relayRecipients: [...groups]
      .filter(([, g]) => g.wildcard || g.keys.length > 0)
      .sort(([a], [b]) => cmp(a, b))
      .map(([domain, g]) => ({ domain, ...g })),
    transport: { mailboxes, elsewhere, domains: [...domainEntries.values()].sort((a, b) => cmp(a.key, b.key)) },
    virtual: { aliases, contacts },
    ...(star ? { relayhost: { value: relayhostValue(star.nextHop), connector: star.name } } : {}),
  };
}

/** What the keys of one domain share in the sorted pass of postfixRoutes(). */
interface KeyDomain {
  /** Its relay_recipients keys, once a key of it is accepted. */
  group: string[] | undefined;
  /** Its transport entry's value (domainEntries is complete before the pass). */
  readonly domainValue: string | undefined;
  /** The action of a key the table does not list, by its keyAnswer(). */
  readonly byAnswer: Map<number, Action>;
}

/**
 * Whether the local part of `key` (the "@" of its domain at `at`) may hold sender-specified
 * routing ("@", "%" or "!", senderRouted() in resolve.ts): such keys are resolved one by one.
 * It looks at the whole key for "%" and "!": a superset, which only costs a resolve().
 */
function routesBySender(key: string, at: number): boolean {
  return key.indexOf('@') !== at || key.includes('%') || key.includes('!');
}

/**
 * The error(8) transport of a refusal: error(8) bounces with the next-hop text as the reason,
 * its first word an enhanced status code (transport(5) "error:5.1.1 ..."). Written without
 * the user's names (a value is one line and may not end in blanks).
 */
function errorTransport(d: Decision & { kind: 'refuse' }): string {
  return d.status === '5.1.1' ? `error:${d.status} unknown recipient (chainmail: no such recipient here)` : `error:${d.status} relay access denied (chainmail: no route for this domain)`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
