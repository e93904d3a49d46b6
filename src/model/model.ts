import type { Path, Target } from '../diagnostics/diagnostic.js';
import type { ChainmailFile, DirectorySource } from './config.generated.js';
import type { DomainName } from './domain-name.js';
import type { DomainDns, SendingDecl } from './mail-auth.js';

export type { ChainmailFile } from './config.generated.js';
export type * as Config from './config.generated.js';
export type * from './mail-auth.js';

/** The kinds of mail system (schema `systems.*.kind`). @public */
export type SystemKind = 'exchange' | 'postfix' | 'relay' | 'exchange-online' | 'google-workspace' | 'other';

/**
 * Hop limits of the real systems: Exchange 20, Postfix hopcount_limit 50, Exim 30. Exchange
 * Online runs Exchange transport (20); Google documents no number, chainmail assumes 25.
 * @public
 */
export const DEFAULT_HOP_LIMIT: Readonly<Record<SystemKind, number>> = {
  exchange: 20,
  postfix: 50,
  relay: 50,
  'exchange-online': 20,
  'google-workspace': 25,
  other: 30,
};

export type { DomainName } from './domain-name.js';

/** A parsed mail address. @public */
export interface Address {
  /** As written (without an `smtp:` prefix). */
  readonly display: string;
  /** Local part as written (UTF-8 allowed, RFC 6531). */
  readonly local: string;
  readonly domain: DomainName;
  /** Comparison key: lower-cased local part + `@` + A-label domain. Empty when invalid. */
  readonly key: string;
  /** Why the address is not valid SMTP syntax; absent when valid. */
  readonly error?: string;
}

/** A host specification: `name`, `[name-or-ip]`, optionally `:port`. @public */
export interface HostSpec {
  readonly raw: string;
  /** Lower-case A-label name or the IP address, without brackets. */
  readonly host: string;
  /** Written in brackets: no MX lookup. */
  readonly bracketed: boolean;
  readonly port?: number;
  readonly isIp: boolean;
  readonly error?: string;
}

/** A declared domain (`domains:`); `remote` when it is hosted outside the organisation. @public */
export interface DomainDecl {
  readonly name: DomainName;
  readonly description?: string;
  readonly remote: boolean;
  /** MX, SPF and DMARC (docs/dns.md). */
  readonly dns: DomainDns;
  readonly path: Path;
}

/** Where an address entry came from: the YAML (a path) or a mailbox file (a span). @public */
export interface AddressEntry {
  readonly address: Address;
  readonly at: Target;
}

/** A mailbox that a system delivers itself, with its aliases. @public */
export interface MailboxDecl extends AddressEntry {
  readonly aliases: readonly AddressEntry[];
}

/** A mail system of the organisation (`systems:`), with defaults applied. @public */
export interface SystemDecl {
  readonly name: string;
  readonly kind: SystemKind;
  readonly host: HostSpec;
  readonly port: number;
  readonly gateway: boolean;
  readonly hopLimit: number;
  readonly forwardUnresolvedTo: string | null;
  /**
   * The domain that routes to this system, in which each of its recipients has an address
   * (`routingDomain`): the targetAddress domain of the mail contacts an authoritative
   * Exchange system needs for this system's recipients (docs/routing.md).
   */
  readonly routingDomain?: DomainName & { readonly path: Path };
  readonly localTransport?: string;
  /** The largest message in bytes it accepts, as written (`maxMessageSize`). */
  readonly maxMessageSize?: number;
  /** Postfix: the networks whose clients may relay (`mynetworks`), as written. */
  readonly mynetworks?: readonly string[];
  /** Postfix: SASL-authenticated clients may relay (`sasl`), default false. */
  readonly sasl: boolean;
  /**
   * What it does with the null sender, `MAIL FROM:<>` (`nullSender`), default `accept` (RFC 5321 section 4.5.5);
   * `refuse`: chainmail probe uses a normal sender for it (docs/probe.md).
   */
  readonly nullSender: 'accept' | 'refuse';
  /** Postfix: the domains delivered as local accounts (`mydestination`), as written. */
  readonly mydestination?: readonly string[];
  /** True when the system has a `mailboxes` or `mailboxFiles` key (an empty list counts). */
  readonly listsRecipients: boolean;
  readonly mailboxes: readonly MailboxDecl[];
  /** The mail it sends as the organisation's domains (SPF, DKIM; docs/dns.md). */
  readonly sends?: SendingDecl;
  /** Rewrites the envelope sender of mail it forwards (SRS). */
  readonly srs: boolean;
  /** Where the recipients come from (`directory:`), as written; docs/directory.md. */
  readonly directory?: DirectorySource;
  /** kind exchange-online: the tenant's transport objects (docs/exchange-online.md). */
  readonly exchangeOnline?: ExchangeOnlineDecl;
  /** kind google-workspace: the account's Gmail routing (docs/google-workspace.md). */
  readonly googleWorkspace?: GoogleWorkspaceDecl;
  readonly path: Path;
}

/** An Exchange Online accepted domain type (Set-AcceptedDomain -DomainType). @public */
export type AcceptedDomainType = 'Authoritative' | 'InternalRelay' | 'ExternalRelay';

/** An Exchange Online outbound connector. @public */
export interface OutboundConnectorDecl {
  readonly name: string;
  /** A-label domains, or '*'. */
  readonly recipientDomains: readonly (DomainName | '*')[];
  readonly to?: string;
  readonly smartHosts: readonly HostSpec[];
  readonly useMxRecord: boolean;
  readonly tls?: 'EncryptionOnly' | 'CertificateValidation' | 'DomainValidation';
  readonly tlsDomain?: string;
  /** RouteAllMessagesViaOnPremises: every message to the internet leaves through it. */
  readonly centralizedMailTransport: boolean;
  readonly path: Path;
}

/** An Exchange Online inbound connector: whose mail the tenant accepts and relays. @public */
export interface InboundConnectorDecl {
  readonly name: string;
  readonly from: readonly string[];
  readonly connectorType: 'OnPremises' | 'Partner';
  readonly senderIPAddresses: readonly string[];
  readonly tlsSenderCertificateName?: string;
  readonly path: Path;
}

/** A mail user or mail contact of Exchange Online (mail for `address` goes to `external`). @public */
export interface MailUserDecl {
  readonly address: Address;
  readonly external: Address;
  readonly name: string;
  readonly type: 'mailUser' | 'mailContact';
  readonly path: Path;
}

/** The Exchange Online objects of a system of kind exchange-online. @public */
export interface ExchangeOnlineDecl {
  readonly acceptedDomains: readonly { readonly domain: DomainName; readonly type: AcceptedDomainType; readonly path: Path }[];
  readonly outbound: readonly OutboundConnectorDecl[];
  readonly inbound: readonly InboundConnectorDecl[];
  readonly mailUsers: readonly MailUserDecl[];
}

/** Gmail routing of a system of kind google-workspace. @public */
export interface GoogleWorkspaceDecl {
  readonly domains: readonly { readonly domain: DomainName; readonly path: Path }[];
  readonly suspended: readonly AddressEntry[];
  readonly withoutGmail: readonly AddressEntry[];
  readonly splitDelivery?: { readonly to: string; readonly which: 'unrecognized' | 'all'; readonly path: Path };
  readonly dualDelivery?: { readonly to: string; readonly path: Path };
  readonly inboundGateways: readonly string[];
}

/** One address space of a recipient policy, with its primary and authority flags. @public */
export interface PolicyAddressDecl {
  /** The space without its `@`. */
  readonly domain: DomainName;
  readonly primary: boolean;
  readonly authoritative: boolean;
  readonly path: Path;
}

/** A recipient policy (`policies:`): which spaces a system accepts, and with what authority. @public */
export interface PolicyDecl {
  readonly name: string;
  readonly system: string;
  readonly default: boolean;
  /** `null` is the NULL filter; `undefined` means not given. */
  readonly filter: string | null | undefined;
  readonly addresses: readonly PolicyAddressDecl[];
  readonly path: Path;
}

/** A connector (`connectors:`): where its systems send mail for its address spaces. @public */
export interface ConnectorDecl {
  readonly name: string;
  readonly systems: readonly string[];
  /** Domains, or `'*'` for everything else. */
  readonly addressSpaces: readonly { readonly domain: DomainName | '*'; readonly path: Path }[];
  readonly to?: string;
  readonly smartHosts: readonly (HostSpec & { readonly path: Path })[];
  readonly allowRelay: boolean;
  readonly path: Path;
}

/** A chain (`chains:`): the systems that share its domains, in forwarding order. @public */
export interface ChainDecl {
  readonly name: string;
  readonly domains: readonly { readonly domain: DomainName; readonly path: Path }[];
  readonly order: readonly string[];
  /** As written; `undefined` = the default (true when every system lists its recipients). */
  readonly rejectUnknownAtGateway?: boolean;
  readonly path: Path;
}

/** One of a contact's `proxyAddresses`. @public */
export interface ProxyAddressDecl extends AddressEntry {
  /** Written with an upper-case `SMTP:` prefix. */
  readonly primary: boolean;
}

/** A mail-enabled contact (`contacts:`, method 2). @public */
export interface ContactDecl {
  readonly cn: string;
  readonly ou?: string;
  /** The Exchange system whose directory holds it (resolved when there is exactly one). */
  readonly system?: string;
  readonly givenName?: string;
  readonly sn?: string;
  readonly displayName: string;
  readonly mailNickname?: string;
  readonly targetAddress: Address;
  readonly proxyAddresses: readonly ProxyAddressDecl[];
  /**
   * Never in the file: a contact the routing stage generates on an authoritative Exchange
   * system for a recipient that this system of the organisation hosts (its targetAddress is
   * in the hosting system's `routingDomain`; docs/routing.md).
   */
  readonly hostedBy?: string;
  readonly path: Path;
}

/** The outcome kinds a route test can expect. @public */
export type ExpectKind = 'delivered' | 'bounced' | 'refused' | 'looped' | 'external';

/** A route assertion (`tests:`). @public */
export interface RouteTestDecl {
  readonly to: string;
  readonly from: string;
  readonly expect: { readonly kind: ExpectKind; readonly target: string | true; readonly status?: string };
  readonly path: Path;
}

/** The normalised model (the IR) that every later stage reads. @public */
export interface Model {
  /** The main file, as given on the command line. */
  readonly file: string;
  readonly name?: string;
  readonly baseDn?: string;
  /** By A-label. */
  readonly domains: ReadonlyMap<string, DomainDecl>;
  readonly systems: ReadonlyMap<string, SystemDecl>;
  readonly policies: readonly PolicyDecl[];
  readonly connectors: readonly ConnectorDecl[];
  readonly chains: readonly ChainDecl[];
  readonly contacts: readonly ContactDecl[];
  readonly tests: readonly RouteTestDecl[];
  readonly lintRules: Readonly<Record<string, 'off' | 'warning' | 'error'>>;
  /**
   * The merged configuration as validated: what failed the schema is left out (a key, a
   * value, or an object); a list item left out is a hole (`undefined`), so indexes stay.
   */
  readonly config: ChainmailFile;
  /**
   * Names that exist in the file but whose whole object failed the schema and was left out:
   * references to them are not "unknown", the schema finding already explains them.
   */
  readonly rejected: { readonly systems: ReadonlySet<string>; readonly domains: ReadonlySet<string> };
}
