import { BerReader, BerWriter, Client, SearchEntry } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { addressKey } from '../../src/import/ldap/address-key.js';
import { entryOf } from '../../src/import/ldap/ldap-read.js';
import { decodeEntry, decodeSearchEntries, type EntryFields } from '../../src/import/ldap/search-entry.js';
import { parseAddress } from '../../src/normalize/address.js';

const ASKED = ['proxyAddresses', 'targetAddress', 'cn', 'mailNickname', 'givenName', 'sn', 'displayName'];
const FIELDS: EntryFields = new Map([
  ['proxyaddresses', 'addresses'],
  ['targetaddress', 'target'],
  ...(['cn', 'mailNickname', 'givenName', 'sn', 'displayName'] as const).map((a) => [a.toLowerCase(), a] as const),
]);

/** An LDAPMessage holding a SearchResultEntry (RFC 4511 sections 4.2 and 4.5.2), as a server sends it. */
function message(dn: string | Buffer, attributes: readonly [string, readonly (string | Buffer)[]][]): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(7);
  w.startSequence(0x64);
  w.writeBuffer(Buffer.from(dn), 0x04);
  w.startSequence();
  for (const [type, values] of attributes) {
    w.startSequence();
    w.writeString(type);
    w.startSequence(0x31);
    for (const v of values) w.writeBuffer(Buffer.from(v), 0x04);
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return w.buffer;
}

/** The reader at the entry's contents, as ldapts' message parser hands it on. */
function atEntry(bytes: Buffer): BerReader {
  const r = new BerReader(bytes);
  r.readSequence();
  r.readInt();
  r.readSequence();
  return r;
}

/** What the import made of the entry before: ldapts' SearchEntry, its toObject(), then entryOf(). */
function viaLdapts(bytes: Buffer): unknown {
  const entry = new SearchEntry({ messageId: 7 });
  entry.parse(atEntry(bytes), []);
  return entryOf(entry.toObject(ASKED, []), FIELDS);
}

function viaDecoder(bytes: Buffer): unknown {
  const r = atEntry(bytes);
  return decodeEntry(bytes, r.offset, r.offset + r.length, FIELDS);
}

const BAD_UTF8 = Buffer.from([0x4a, 0xff, 0xfe, 0x6f]);
const BOM = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Bom')]);

describe('decodeEntry: the same DirectoryEntry as ldapts and entryOf() made', () => {
  it.each<[string, string | Buffer, [string, (string | Buffer)[]][]]>([
    ['a user', 'cn=User 1,ou=Users,dc=example,dc=com', [['cn', ['User 1']], ['proxyAddresses', ['SMTP:user1@example.com', 'smtp:alias1@example.com']], ['mailNickname', ['user1']]]],
    ['a contact, attribute names in another case', 'cn=C,ou=Contacts,dc=example,dc=com', [['PROXYADDRESSES', ['SMTP:c@partner.example.net']], ['TargetAddress', ['SMTP:c@partner.example.net']], ['givenname', ['Pat']], ['SN', ["O'Brien"]]]],
    ['attributes not asked for, and one with an option', 'cn=X,dc=example,dc=com', [['objectClass', ['top', 'user']], ['proxyAddresses;binary', ['SMTP:x@example.com']], ['proxyAddresses', ['smtp:x@example.com']]]],
    ['UTF-8 in the DN and the values', 'cn=Ünïcode 日本,dc=example,dc=com', [['displayName', ['Ünï 😀']], ['proxyAddresses', ['smtp:ünï@example.com', 'SMTP:日本@example.jp']]]],
    ['invalid UTF-8 (U+FFFD, as Buffer.toString gives)', Buffer.concat([Buffer.from('cn='), BAD_UTF8]), [['cn', [BAD_UTF8]], ['proxyAddresses', [BAD_UTF8, 'SMTP:ok@example.com']]]],
    ['a byte order mark before a value', 'cn=B,dc=example,dc=com', [['displayName', [BOM]], ['proxyAddresses', [BOM]]]],
    ['empty values and an attribute without values', 'cn=E,dc=example,dc=com', [['sn', ['']], ['givenName', []], ['proxyAddresses', ['', 'SMTP:e@example.com']]]],
    ['long values (two-byte lengths) and many of them', `cn=${'L'.repeat(300)},dc=example,dc=com`, [['displayName', ['D'.repeat(70_000)]], ['proxyAddresses', Array.from({ length: 400 }, (_, i) => `smtp:a${i}@example.com`)]]],
    ['no attributes at all', 'cn=Empty,dc=example,dc=com', []],
  ])('%s', (_name, dn, attributes) => {
    const bytes = message(dn, attributes);
    expect(viaDecoder(bytes)).toEqual(viaLdapts(bytes));
  });

  it('refuses an entry whose lengths run past its end, as a malformed message', () => {
    const bytes = message('cn=T,dc=example,dc=com', [['cn', ['T']]]);
    const r = atEntry(bytes);
    expect(() => decodeEntry(bytes, r.offset, r.offset + r.length - 2, FIELDS)).toThrow(/malformed search result entry/);
    const wrongTag = Buffer.from(bytes);
    wrongTag[r.offset] = 0x30;
    expect(() => decodeEntry(wrongTag, r.offset, r.offset + r.length, FIELDS)).toThrow(/expected tag 0x4/);
  });

  it("hooks into this ldapts' message parser (else the import would fall back to ldapts' slower entries)", () => {
    expect(decodeSearchEntries(new Client({ url: 'ldap://127.0.0.1:1' }), FIELDS)).toBe(true);
  });
});

describe('addressKey: the key or the error parseAddress() gives', () => {
  it.each([
    'user@example.com',
    'User.Name+tag@Example.COM',
    'a_b-c@sub.example.co.uk',
    'x@xn--bcher-kva.example',
    'x@BÜCHER.example',
    'ünï@example.com',
    'Straße@example.com',
    '"quoted@local"@example.com',
    `${'a'.repeat(64)}@example.com`,
    `${'a'.repeat(65)}@example.com`,
    '.lead@example.com',
    'trail.@example.com',
    'two..dots@example.com',
    'a@b@example.com',
    'no-at.example.com',
    '@example.com',
    'user@',
    'user@[192.0.2.1]',
    'user@localhost',
    'user@example..com',
    'user@-bad.example.com',
    'user@example.com.',
    'user@123.456',
    'sp ace@example.com',
  ])('%s', (address) => {
    const a = parseAddress(address);
    expect(addressKey(address)).toEqual(a.error !== undefined ? { error: a.error } : a.key);
  });
});
