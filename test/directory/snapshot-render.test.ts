import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { DirectoryEntry } from '../../src/import/ldap/ldap-read.js';
import { diffSnapshots } from '../../src/import/ldap/snapshot-diff.js';
import { SnapshotBuilder } from '../../src/import/ldap/snapshot.js';
import type { ImportedContact } from '../../src/import/imported.js';
import { renderImported } from '../../src/import/render.js';

const BASE = 'dc=example,dc=com';

/** Entries with what a directory holds besides the plain case: every branch of the builder. */
const ENTRIES: DirectoryEntry[] = [
  { dn: `cn=Zed,ou=Users,${BASE}`, addresses: ['smtp:z2@example.com', 'SMTP:Zed@Example.com', 'smtp:Z1@example.com', 'X500:/o=x/cn=zed', 'smtp:z1@EXAMPLE.com'] },
  { dn: `cn=Amy,ou=Users,${BASE}`, addresses: ['SMTP:amy@example.com'] },
  { dn: `cn=Only Secondary,ou=Users,${BASE}`, addresses: ['smtp:second@example.com', 'smtp:first@example.com'] },
  { dn: `cn=Case Twin,ou=Users,${BASE}`, addresses: ['SMTP:AMY@example.com'] },
  { dn: `cn=Bare,ou=Users,${BASE}`, addresses: ['bare@example.com', 'Smtp:odd@example.com'] },
  { dn: `cn=Broken,ou=Users,${BASE}`, addresses: ['SMTP:bad..dots@example.com', 'smtp:ok@example.com'] },
  { dn: `cn=Nothing,ou=Users,${BASE}`, addresses: ['X500:/o=x/cn=nothing', 'SIP:nothing@example.com'] },
  { dn: `cn=Same Alias,ou=Users,${BASE}`, addresses: ['SMTP:same@example.com', 'smtp:SAME@example.com'] },
  {
    dn: `cn=Partner\\, Inc.,ou=Sales,ou=Contacts,${BASE}`,
    addresses: ['SMTP:p@partner.example.net', 'smtp:partner@example.com', 'smtp:alt@example.com'],
    target: 'SMTP:p@partner.example.net',
    givenName: 'Pat',
    sn: "O'Brien: \"the\" #1",
    displayName: 'Pat (Partner)',
    mailNickname: 'partner',
  },
  { dn: `cn=yes,ou=Contacts,${BASE}`, addresses: ['smtp:yes@example.com'], target: 'no@partner.example.net', cn: 'yes' },
  { dn: `cn=Line\nBreak,cn=Other,${BASE}`, addresses: [], target: 'SMTP:lb@partner.example.net' },
  { dn: `cn=Ünïcode,ou=Contacts,${BASE}`, addresses: ['smtp:uni@example.com', 'smtp:UNI@example.com'], target: 'smtp:ünï@partner.example.net', displayName: 'Ünï' },
  { dn: `cn=Bad Target,ou=Contacts,${BASE}`, addresses: ['smtp:bt@example.com'], target: 'SMTP:not-an-address' },
  { dn: `cn=Twin Target,ou=Contacts,${BASE}`, addresses: ['smtp:tt@example.com'], target: 'P@Partner.example.net' },
];

function built(entries: readonly DirectoryEntry[]): { b: SnapshotBuilder; text: string } {
  const b = new SnapshotBuilder('exchange', BASE);
  for (const e of entries) b.add(e);
  return { b, text: b.render({ system: 'exchange', url: 'ldap://127.0.0.1:389', baseDn: BASE, filter: '(proxyAddresses=smtp:*)', generator: 'chainmail test' }).toString('utf8') };
}

describe('the snapshot renderer (kept lean for 100,000 entries)', () => {
  it('writes the contacts exactly as the generic renderImported() does', () => {
    const { b, text } = built(ENTRIES);
    const doc = b.document('exchange') as { contacts: Omit<ImportedContact, 'comment'>[] };
    // the contacts' DNs in the snapshot's order (by DN, case-insensitively)
    const dns = ENTRIES.filter((e) => e.target !== undefined && e.dn !== `cn=Bad Target,ou=Contacts,${BASE}`)
      .map((e) => e.dn)
      .sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : x.toLowerCase() > y.toLowerCase() ? 1 : 0));
    expect(doc.contacts).toHaveLength(dns.length);
    const contacts = doc.contacts.map((c, i) => ({ comment: [`dn: ${dns[i]}`], ...c }) as ImportedContact);
    const reference = renderImported({ header: [], include: true, domains: [], systems: [], policies: [], connectors: [], chains: [], contacts });
    expect(text.endsWith(`\n${reference}`)).toBe(true);
    // a DN with a line break stays one comment line
    expect(text).toContain('# dn: cn=Line?Break,cn=Other,dc=example,dc=com\n  - cn: "Line\\nBreak"\n');
  });

  it('reads back as the document the change report compares, and counts the recipients as the report would', () => {
    const { b, text } = built(ENTRIES);
    const { systems, contacts } = parse(text) as { systems: unknown; contacts: unknown };
    expect({ systems, contacts }).toEqual(b.document('exchange'));
    expect(b.recipientCount()).toBe(diffSnapshots(undefined, b.document('exchange')).length);
  });

  it('keeps the first spelling of an address (the first value when none is SMTP:), drops the primary from its aliases, and names what it left out', () => {
    const { b, text } = built(ENTRIES);
    expect(text).toContain('      - { address: Zed@Example.com, aliases: [Z1@example.com, z2@example.com] }\n');
    expect(text).toContain('      - { address: second@example.com, aliases: [first@example.com] }\n');
    expect(text).toContain('      - { address: bare@example.com, aliases: [odd@example.com] }\n');
    expect(text).toContain('      - same@example.com\n');
    expect(text).toContain('    proxyAddresses: [alt@example.com, partner@example.com]\n');
    expect(b.problems.map((p) => p.dn)).toEqual([`cn=Broken,ou=Users,${BASE}`, `cn=Nothing,ou=Users,${BASE}`, `cn=Bad Target,ou=Contacts,${BASE}`]);
  });

  it('counts two mailboxes of one address in different case once, as the change report does', () => {
    const twins: DirectoryEntry[] = [
      { dn: `cn=a,${BASE}`, addresses: ['SMTP:twin@example.com'] },
      { dn: `cn=b,${BASE}`, addresses: ['SMTP:other@example.com'] },
      { dn: `cn=c,${BASE}`, addresses: ['SMTP:TWIN@example.com'] },
    ];
    const { b } = built(twins);
    expect(b.recipientCount()).toBe(2);
    expect(b.recipientCount()).toBe(diffSnapshots(undefined, b.document('exchange')).length);
  });
});
