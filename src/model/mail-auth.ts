import type { Path } from '../diagnostics/diagnostic.js';
import type { DomainName } from './domain-name.js';

/**
 * The mail-authentication part of the model (docs/dns.md): which systems send as which
 * domains, with which DKIM selectors, which forwarders rewrite the envelope sender (SRS),
 * and per domain the MX, SPF and DMARC wanted (and as published, when the file says so).
 */

/** The DMARC policies of RFC 7489 6.3 (`p=`, `sp=`). @public */
export type DmarcPolicyName = 'none' | 'quarantine' | 'reject';

/** An MX host of a domain: lower-case A-label without the trailing dot. @public */
export interface MxHostDecl {
  readonly host: string;
  readonly preference: number;
  readonly path: Path;
}

/** The DMARC policy wanted for a domain (schema `domains.*.dmarc`). @public */
export interface DmarcDecl {
  readonly policy: DmarcPolicyName;
  readonly subdomainPolicy?: DmarcPolicyName;
  readonly percent?: number;
  readonly rua: readonly string[];
  readonly ruf: readonly string[];
  readonly adkim?: 'relaxed' | 'strict';
  readonly aspf?: 'relaxed' | 'strict';
  readonly path: Path;
}

/** A record as the file believes it is published (schema `domains.*.published`). @public */
export interface PublishedRecord {
  readonly record: string;
  readonly path: Path;
}

/** The DNS side of a declared domain. @public */
export interface DomainDns {
  /** The MX hosts to publish, when the file names them (else: the entry gateways' hosts). */
  readonly mx?: readonly MxHostDecl[];
  readonly spfAll: 'fail' | 'softfail' | 'neutral';
  readonly spfFlatten: boolean;
  readonly dmarc?: DmarcDecl;
  readonly published: {
    readonly mx?: readonly { readonly host: string; readonly path: Path }[];
    readonly spf?: PublishedRecord;
    readonly dmarc?: PublishedRecord;
  };
  /** True when the domain has any of `mx`, `spf`, `dmarc`, `published`: it is published in DNS. */
  readonly declared: boolean;
}

/** What a system sends to the internet as the organisation's domains (schema `systems.*.sends`). @public */
export interface SendingDecl {
  readonly domains: readonly { readonly domain: DomainName; readonly path: Path }[];
  /** Outbound addresses or networks as written (validated: `error` when not an IP). */
  readonly ip: readonly { readonly value: string; readonly path: Path }[];
  /** Provider mechanisms (`include:spf.protection.outlook.com`), as written. */
  readonly spf: readonly { readonly mechanism: string; readonly path: Path }[];
  readonly dkim: readonly { readonly selector: string; readonly path: Path }[];
  readonly path: Path;
}
