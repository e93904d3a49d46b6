import type { ChainmailFile, ContactDecl, Model } from '../../src/model/model.js';
import { parseAddress } from '../../src/normalize/address.js';

/** A contact as a test writes it: addresses as strings. */
export interface ContactInput {
  readonly cn: string;
  readonly ou?: string;
  readonly givenName?: string;
  readonly sn?: string;
  readonly displayName?: string;
  readonly mailNickname?: string;
  readonly targetAddress: string;
  readonly proxyAddresses?: readonly string[];
}

/**
 * A minimal model that holds only a directory and contacts (for the contact targets' unit
 * tests); `baseDn: null` = no `directory` in the file.
 */
export function contactModel(contacts: readonly ContactInput[], baseDn: string | null = 'dc=xo,dc=one'): Model {
  const decls: ContactDecl[] = contacts.map((c, i) => ({
    cn: c.cn,
    ...(c.ou !== undefined ? { ou: c.ou } : {}),
    system: 'exchange',
    ...(c.givenName !== undefined ? { givenName: c.givenName } : {}),
    ...(c.sn !== undefined ? { sn: c.sn } : {}),
    displayName: c.displayName ?? c.cn,
    ...(c.mailNickname !== undefined ? { mailNickname: c.mailNickname } : {}),
    targetAddress: parseAddress(c.targetAddress.replace(/^smtp:/i, '')),
    proxyAddresses: (c.proxyAddresses ?? []).map((p, j) => ({
      address: parseAddress(p.replace(/^smtp:/i, '')),
      primary: p.startsWith('SMTP:'),
      at: { path: ['contacts', i, 'proxyAddresses', j] },
    })),
    path: ['contacts', i],
  }));
  return {
    file: 'test/chainmail.yaml',
    ...(baseDn !== null ? { baseDn } : {}),
    domains: new Map(),
    systems: new Map(),
    policies: [],
    connectors: [],
    chains: [],
    contacts: decls,
    tests: [],
    lintRules: {},
    config: { version: 1 } as ChainmailFile,
    rejected: { systems: new Set(), domains: new Set() },
  };
}
