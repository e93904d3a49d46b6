import type { DirectorySource } from '../model/config.generated.js';

/**
 * A chainmail file to be written by `chainmail import`: plain data that mirrors the file
 * format (schemas/chainmail.schema.json), with comments that say where each object came
 * from. The importers fill it, render.ts writes it as YAML.
 */

/** Comment lines written above an object (without the leading "# "). */
export interface Commented {
  readonly comment?: readonly string[];
}

export interface ImportedDomain extends Commented {
  readonly name: string;
  readonly remote?: boolean;
  readonly description?: string;
}

export interface ImportedMailbox {
  readonly address: string;
  readonly aliases: readonly string[];
}

export interface ImportedSystem extends Commented {
  readonly name: string;
  readonly kind: 'exchange' | 'postfix' | 'relay' | 'other';
  readonly host: string;
  readonly gateway?: boolean;
  readonly hopLimit?: number;
  readonly localTransport?: string;
  /** Where its recipients come from (an imported ldap: table). */
  readonly directory?: DirectorySource;
  /** Undefined: the system does not list its recipients (no `mailboxes` key). */
  readonly mailboxes?: readonly ImportedMailbox[];
}

export interface ImportedPolicy extends Commented {
  readonly name: string;
  readonly system: string;
  /** `null` is the NULL filter (remote domains); undefined writes no filter. */
  readonly filter?: null;
  readonly addresses: readonly { readonly space: string; readonly authoritative: boolean }[];
}

export interface ImportedConnector extends Commented {
  readonly name: string;
  readonly system: string;
  readonly addressSpaces: readonly string[];
  readonly to?: string;
  readonly smartHosts?: readonly string[];
  readonly allowRelay: boolean;
}

export interface ImportedChain extends Commented {
  readonly name: string;
  readonly domains: readonly string[];
  readonly order: readonly string[];
  readonly rejectUnknownAtGateway?: boolean;
}

export interface ImportedContact extends Commented {
  readonly cn: string;
  readonly ou?: string;
  readonly system?: string;
  readonly givenName?: string;
  readonly sn?: string;
  readonly displayName?: string;
  readonly mailNickname?: string;
  readonly targetAddress: string;
  readonly proxyAddresses: readonly string[];
}

/** The whole file. `include` true writes a file meant for `include:` (no version, name or directory). */
export interface ImportedModel {
  /** Comment lines at the top of the file. */
  readonly header: readonly string[];
  readonly include?: boolean;
  readonly name?: string;
  readonly baseDn?: string;
  readonly domains: readonly ImportedDomain[];
  readonly systems: readonly ImportedSystem[];
  readonly policies: readonly ImportedPolicy[];
  readonly connectors: readonly ImportedConnector[];
  readonly chains: readonly ImportedChain[];
  readonly contacts: readonly ImportedContact[];
}
