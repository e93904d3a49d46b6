import type { SystemKind } from '../model/model.js';

/**
 * The compiled routing table of one system (`DIR/<system>/routes.json`, described by
 * schemas/routes.schema.json). The simulator and the embedded relay both read it and
 * both decide with the same `resolve()`.
 *
 * @public
 */
export interface RoutingTable {
  readonly version: 1;
  readonly system: string;
  readonly kind: SystemKind;
  /** How peers reach this system (A-label or IP, no brackets) and whether MX applies. */
  readonly host: string;
  readonly port: number;
  readonly mx: boolean;
  /** Receives mail from the internet for the domains it accepts. */
  readonly gateway: boolean;
  /** Received: headers at which a message is stopped as a loop (5.4.6). */
  readonly hopLimit: number;
  /** The system names its recipients (mailboxes/mailboxFiles key present). */
  readonly listsRecipients: boolean;
  /** Accepted address spaces by A-label domain. */
  readonly domains: Readonly<Record<string, AcceptedDomain>>;
  /** Recipients this system resolves itself, by comparison key (lower-case local@A-label). */
  readonly recipients: Readonly<Record<string, RecipientEntry>>;
  /**
   * Recipients of the other systems of this system's chains, for domains whose unknown
   * recipients it rejects at RCPT time (`rejectUnknown`); sorted keys.
   */
  readonly knownRecipients: readonly string[];
  /** Connectors this system is a bridgehead of, by name (selectConnector: one naming the domain before "*"). */
  readonly connectors: readonly ConnectorEntry[];
  /** "Forward all mail with unresolved recipients to host" / fallback_transport. */
  readonly unresolved: NextHop | null;
  /**
   * The reverse path (docs/routing.md, lookup step 3b): recipients hosted by another system
   * of the organisation, in domains this system accepts, that the domain's own route would
   * not bring there (it ends here in 5.1.1, 5.7.1 or an assumed local mailbox). By key: the
   * hosting system, reached through `peers`. Only for systems whose artifacts can route a
   * single recipient (Postfix transport_maps, the relay); absent when there are none.
   */
  readonly hosted?: Readonly<Record<string, string>>;
  /** How this system reaches each system named in `hosted`. */
  readonly peers?: Readonly<Record<string, NextHop>>;
  /** What the cloud kinds add (docs/exchange-online.md, docs/google-workspace.md); absent for the others. */
  readonly cloud?: CloudRouting;
}

/**
 * The routing of the cloud kinds beyond accepted domains and connectors.
 *
 * @public
 */
export interface CloudRouting {
  /**
   * exchange-online: the systems whose mail arrives through an inbound connector. The tenant
   * takes it as its own (it may relay it to the internet); from anyone else a domain it
   * does not accept is 550 5.7.64 TenantAttribution; Relay Access Denied.
   */
  readonly relayFrom?: readonly string[];
  /**
   * exchange-online: mail users whose ExternalEmailAddress is their own address (hybrid: the
   * on-premises mailboxes). Known, so Directory-Based Edge Blocking passes them; routed by
   * their domain's outbound connector. Sorted keys.
   */
  readonly routeOut?: readonly string[];
  /** exchange-online: where an InternalRelay domain without a connector goes by MX: the system its MX reaches. */
  readonly mx?: Readonly<Record<string, string>>;
  /** google-workspace: users that Gmail routing counts as unrecognised, by key: suspended, or without Gmail. */
  readonly unrecognised?: Readonly<Record<string, 'suspended' | 'no-gmail'>>;
  /** google-workspace: split delivery routes every recipient (which: all), not only the unrecognised ones. */
  readonly splitAll?: boolean;
  /** google-workspace: dual delivery copies every delivered message to this system or host. */
  readonly dualDelivery?: string;
}

/**
 * How a system accepts one address space.
 *
 * @public
 */
export interface AcceptedDomain {
  /** authoritative: unknown recipients bounce here; internal-relay: they go on (KB 321721 unchecked box). */
  readonly authority: 'authoritative' | 'internal-relay';
  /** The policy that decided the authority. */
  readonly policy: string;
  /** The chain this system shares the domain in, if any. */
  readonly chain?: string;
  /** Reject recipients that no system of the chain knows, at RCPT (no backscatter). */
  readonly rejectUnknown: boolean;
  /** The domain is declared `remote: true` (hosted outside the organisation). */
  readonly remote: boolean;
}

/**
 * A recipient this system resolves: a local mailbox, or a rewrite (contact, alias).
 *
 * @public
 */
export type RecipientEntry =
  | { readonly action: 'deliver'; readonly mailbox: string; readonly alias?: true }
  | {
      readonly action: 'rewrite';
      readonly to: string;
      readonly contact: string;
      /**
       * A mail contact generated for a recipient that this system of the organisation hosts
       * (an authoritative Exchange system reaching it through its routing domain; compiled
       * into contacts.ldif, contacts.csv and setup.ps1).
       */
      readonly hostedBy?: string;
    };

/**
 * One host of a next hop.
 *
 * @public
 */
export interface HopHost {
  /** A-label name or IP, without brackets. */
  readonly host: string;
  readonly port: number;
  /** Look up MX records (a name written without brackets). */
  readonly mx: boolean;
  /** The form the user wrote, e.g. "[192.168.1.10]". */
  readonly display: string;
}

/**
 * Where a message goes next: a system of the organisation, or hosts outside it.
 *
 * @public
 */
export interface NextHop {
  /** The system of the file it reaches, when it reaches one. */
  readonly system?: string;
  readonly hosts: readonly HopHost[];
}

/** @public */
export interface ConnectorEntry {
  readonly name: string;
  /** A-label domains, or "*". */
  readonly addressSpaces: readonly string[];
  readonly allowRelay: boolean;
  readonly nextHop: NextHop;
}

/**
 * The connector a system uses for a domain: a specific address space before "*". For
 * anonymous mail (`relayOnly`) only connectors that allow relay count. `accepted` says the
 * system accepts the domain (a shared space): only then may a "*" connector carry
 * anonymous mail; relaying anonymous mail for every other domain would be an open relay,
 * whatever the file says.
 */
export function selectConnector(table: RoutingTable, domain: string, relayOnly: boolean, accepted = true): ConnectorEntry | undefined {
  let wildcard: ConnectorEntry | undefined;
  for (const c of table.connectors) {
    if (relayOnly && !c.allowRelay) continue;
    if (c.addressSpaces.includes(domain)) return c;
    if (!wildcard && (accepted || !relayOnly) && c.addressSpaces.includes('*')) wildcard = c;
  }
  return wildcard;
}

/**
 * A table's recipients and domains as hash maps: what the routing engine looks addresses up
 * in. The table itself holds them as sorted JSON (routes.json); a lookup in a JavaScript
 * object by a string that is not yet internalised (an address read from a file or a socket)
 * costs a string-table search, about a microsecond, where a Map costs a hash.
 */
export interface TableIndex {
  /** `domains` by A-label. */
  readonly domains: ReadonlyMap<string, AcceptedDomain>;
  /** `recipients` by key. */
  readonly recipients: ReadonlyMap<string, RecipientEntry>;
  /** `knownRecipients` as a set. */
  readonly known: ReadonlySet<string>;
  /** `hosted` with each system's next hop from `peers`. */
  readonly hosted: ReadonlyMap<string, NextHop>;
  /**
   * Postfix and the relay: the domains of the system's own recipients that no policy of it
   * accepts (accepted for exactly those recipients: 550 5.1.1 for the rest, not 554 5.7.1);
   * empty for the other kinds. Made once with the table, like `rejectUnknown`.
   */
  readonly listed: ReadonlySet<string>;
  /** The keys of both, sorted by UTF-16 code units (as routes.json lists them); made once, when first asked for. */
  sortedKeys(): SortedKeys;
}

/** @see TableIndex.sortedKeys */
export interface SortedKeys {
  readonly recipients: readonly string[];
  readonly known: readonly string[];
  readonly hosted: readonly string[];
}

const indexes = new WeakMap<RoutingTable, TableIndex>();

/** The index of a table: the one it was compiled with, or built once from its JSON form (a loaded routes.json). */
export function tableIndex(table: RoutingTable): TableIndex {
  let index = indexes.get(table);
  if (!index) {
    // maps filled key by key: Object.entries() made an array per key (100,000 of them per
    // table of a large organisation) only to be taken apart again (issue 19)
    const hostedBy = table.hosted ?? {};
    const hostedKeys = Object.keys(hostedBy);
    // sorted only when asked (a compile target): the relay and `route --routes` never do
    let sorted: SortedKeys | undefined;
    const sortedKeys = (): SortedKeys => (sorted ??= { recipients: Object.keys(table.recipients).sort(), known: [...table.knownRecipients].sort(), hosted: [...hostedKeys].sort() });
    const hosted = new Map<string, NextHop>();
    for (let i = 0; i < hostedKeys.length; i++) {
      const key = hostedKeys[i] as string;
      const hop = table.peers?.[hostedBy[key] as string];
      if (hop) hosted.set(key, hop);
    }
    const domains = new Map(Object.entries(table.domains));
    const recipients = new Map<string, RecipientEntry>();
    const keys = Object.keys(table.recipients);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      recipients.set(key, table.recipients[key] as RecipientEntry);
    }
    const listed = new Set<string>();
    if (listsByRecipient(table.kind)) {
      for (const key of recipients.keys()) {
        const d = key.slice(key.lastIndexOf('@') + 1);
        if (!domains.has(d)) listed.add(d);
      }
    }
    index = { domains, recipients, known: new Set(table.knownRecipients), hosted, listed, sortedKeys };
    indexes.set(table, index);
  }
  return index;
}

/**
 * Kinds that accept a domain no policy names for exactly the recipients they list (Postfix:
 * the domain in relay_domains, the recipients in relay_recipient_maps; the relay serves the
 * same table). Exchange has no address outside its accepted domains.
 */
export function listsByRecipient(kind: SystemKind): boolean {
  return kind === 'postfix' || kind === 'relay';
}

/** Registers the maps a table was compiled from as its index (they must not change afterwards). */
export function setTableIndex(table: RoutingTable, index: Omit<TableIndex, 'domains'>): void {
  indexes.set(table, { domains: new Map(Object.entries(table.domains)), ...index });
}

/** The union of two lists sorted by UTF-16 code units, sorted, each key once. */
export function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x < y)) {
      out.push(x as string);
      i++;
    } else if (x === undefined || y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  return out;
}

/**
 * Calls `fn` with each key of the three sorted lists of a table (its recipients, known and
 * hosted keys), in sorted order, each key once: the union mergeSorted() would make, read as
 * it is merged (no list of every key made for one pass).
 */
export function forEachMerged(sorted: SortedKeys, fn: (key: string) => void): void {
  const { recipients: a, known: b, hosted: c } = sorted;
  let i = 0;
  let j = 0;
  let k = 0;
  for (;;) {
    const x = a[i];
    const y = b[j];
    const z = c[k];
    // the least of the three heads (undefined: that list is done)
    let m = x;
    if (y !== undefined && (m === undefined || y < m)) m = y;
    if (z !== undefined && (m === undefined || z < m)) m = z;
    if (m === undefined) return;
    if (x === m) i++;
    if (y === m) j++;
    if (z === m) k++;
    fn(m);
  }
}
