import type { Model, PolicyDecl, SystemDecl } from '../../../model/model.js';
import type { ConnectorEntry, RoutingTable } from '../../../routing/table.js';
import { contactEntries, type ContactEntry } from '../ldif/contact-entries.js';

/** What the runbook and setup.ps1 of one Exchange system say, gathered once. */
export interface ExchangeView {
  readonly system: SystemDecl;
  readonly table: RoutingTable;
  readonly policies: readonly PolicyView[];
  readonly connectors: readonly ConnectorView[];
  readonly contacts: readonly ContactEntry[];
  /** The chains this system takes part in, with its place. */
  readonly chains: readonly { readonly name: string; readonly domains: readonly string[]; readonly order: readonly string[] }[];
  /** Whether contacts/contacts.csv is UTF-16LE (csvde -u). */
  readonly csvUnicode: boolean;
  readonly hasOtherContacts: boolean;
  readonly source: string;
}

export interface PolicyView {
  readonly decl: PolicyDecl;
  readonly addresses: readonly { readonly domain: string; readonly unicode: string; readonly primary: boolean; readonly authoritative: boolean; readonly remote: boolean; readonly chain?: string }[];
  /** Every address of the policy is in a `remote: true` domain (KB 321721 method 2, step 1). */
  readonly remoteOnly: boolean;
}

export interface ConnectorView {
  readonly entry: ConnectorEntry;
  /** Every bridgehead system of the connector (this one included). */
  readonly bridgeheads: readonly string[];
}

export function exchangeView(model: Model, system: SystemDecl, table: RoutingTable, csvUnicode: boolean): ExchangeView {
  const policies = model.policies
    .filter((p) => p.system === system.name)
    .map((p): PolicyView => {
      const addresses = p.addresses
        .filter((a) => a.domain.ascii !== '')
        .map((a) => {
          const chain = table.domains[a.domain.ascii]?.chain;
          return {
            domain: a.domain.ascii,
            unicode: a.domain.unicode,
            primary: a.primary,
            authoritative: a.authoritative,
            remote: model.domains.get(a.domain.ascii)?.remote ?? false,
            ...(chain !== undefined ? { chain } : {}),
          };
        });
      return { decl: p, addresses, remoteOnly: addresses.length > 0 && addresses.every((a) => a.remote) };
    });
  const connectors = table.connectors.map((entry): ConnectorView => {
    const decl = model.connectors.find((c) => c.name === entry.name && c.systems.includes(system.name));
    return { entry, bridgeheads: decl ? [...decl.systems] : [system.name] };
  });
  const all = contactEntries(model);
  const contacts = all.filter((c) => c.contact.system === system.name);
  const chains = model.chains
    .filter((c) => c.order.includes(system.name))
    .map((c) => ({ name: c.name, domains: c.domains.map((d) => d.domain.ascii).filter(Boolean), order: c.order }));
  return {
    system,
    table,
    policies,
    connectors,
    contacts,
    chains,
    csvUnicode,
    hasOtherContacts: contacts.length < all.length,
    source: model.file.split(/[\\/]/).pop() ?? model.file,
  };
}
