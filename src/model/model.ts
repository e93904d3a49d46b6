import type { Path, Target } from '../diagnostics/diagnostic.js';
import type { ChainmailFile } from './config.generated.js';

export type { ChainmailFile } from './config.generated.js';
export type * as Config from './config.generated.js';

/** The kinds of mail system (schema `systems.*.kind`). */
export type SystemKind = 'exchange' | 'postfix' | 'relay' | 'other';

/** Hop limits of the real systems: Exchange 20, Postfix hopcount_limit 50, Exim 30. */
export const DEFAULT_HOP_LIMIT: Readonly<Record<SystemKind, number>> = {
  exchange: 20,
  postfix: 50,
  relay: 50,
  other: 30,
};

/** A domain name as written and as compared (A-label, lower case; UTS #46). */
export interface DomainName {
  /** The form the user wrote, for messages. */
  readonly display: string;
  /** Lower-case A-label form (`xn--r8jz45g.jp`); empty when the name is not a valid domain. */
  readonly ascii: string;
  /** Unicode form (`例え.jp`), for reports that show both. */
  readonly unicode: string;
}

/** A parsed mail address. */
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

/** A host specification: `name`, `[name-or-ip]`, optionally `:port`. */
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

export interface DomainDecl {
  readonly name: DomainName;
  readonly description?: string;
  readonly remote: boolean;
  readonly path: Path;
}

/** Where an address entry came from: the YAML (a path) or a mailbox file (a span). */
export interface AddressEntry {
  readonly address: Address;
  readonly at: Target;
}

export interface MailboxDecl extends AddressEntry {
  readonly aliases: readonly AddressEntry[];
}

export interface SystemDecl {
  readonly name: string;
  readonly kind: SystemKind;
  readonly host: HostSpec;
  readonly port: number;
  readonly gateway: boolean;
  readonly hopLimit: number;
  readonly forwardUnresolvedTo: string | null;
  readonly localTransport?: string;
  /** True when the system has a `mailboxes` or `mailboxFiles` key (an empty list counts). */
  readonly listsRecipients: boolean;
  readonly mailboxes: readonly MailboxDecl[];
  readonly path: Path;
}

export interface PolicyAddressDecl {
  /** The space without its `@`. */
  readonly domain: DomainName;
  readonly primary: boolean;
  readonly authoritative: boolean;
  readonly path: Path;
}

export interface PolicyDecl {
  readonly name: string;
  readonly system: string;
  readonly default: boolean;
  /** `null` is the NULL filter; `undefined` means not given. */
  readonly filter: string | null | undefined;
  readonly addresses: readonly PolicyAddressDecl[];
  readonly path: Path;
}

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

export interface ChainDecl {
  readonly name: string;
  readonly domains: readonly { readonly domain: DomainName; readonly path: Path }[];
  readonly order: readonly string[];
  /** As written; `undefined` = the default (true when every system lists its recipients). */
  readonly rejectUnknownAtGateway?: boolean;
  readonly path: Path;
}

export interface ProxyAddressDecl extends AddressEntry {
  /** Written with an upper-case `SMTP:` prefix. */
  readonly primary: boolean;
}

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
  readonly path: Path;
}

export type ExpectKind = 'delivered' | 'bounced' | 'refused' | 'looped' | 'external';

export interface RouteTestDecl {
  readonly to: string;
  readonly from: string;
  readonly expect: { readonly kind: ExpectKind; readonly target: string | true; readonly status?: string };
  readonly path: Path;
}

/** The normalised model (the IR) that every later stage reads. */
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
  /** The merged configuration as validated (objects that failed the schema are left out). */
  readonly config: ChainmailFile;
  /**
   * Names that exist in the file but whose object failed the schema and was left out:
   * references to them are not "unknown", the schema finding already explains them.
   */
  readonly rejected: { readonly systems: ReadonlySet<string>; readonly domains: ReadonlySet<string> };
}
