import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { compileCsv } from '../../src/compile/targets/csv/csv.js';
import { importCsvde, parseCsv, parseDn } from '../../src/import/csvde.js';
import { renderImported } from '../../src/import/render.js';
import { cli, model, repoRoot } from '../diff/support.js';

const tmp = mkdtempSync(join(tmpdir(), 'chainmail-csvde-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEADER = 'objectClass,dn,name,cn,sn,givenName,displayName,proxyAddresses,targetAddress,mail,mailnickname';
// the seed's example row (KB 321721 method 2, step 2), with its space after the ";"
const SEED_ROW =
  'contact,"cn=Internet User,ou=internet users,dc=xo,dc=one",Internet User,Internet User,User,Internet,Internet User,SMTP:internetUser@remote.domain; smtp:internetuser@xo.one,SMTP:internetUser@remote.domain,internetUser@remote.domain,internetuser';
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const utf16 = (s: string): Uint8Array => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);

describe('import csvde', () => {
  it("reads the seed's row", () => {
    const r = importCsvde(utf8(`${HEADER}\r\n${SEED_ROW}\r\n`), 'seed.csv', { system: 'exchange' });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.model.contacts).toEqual([
      {
        cn: 'Internet User',
        ou: 'internet users',
        system: 'exchange',
        givenName: 'Internet',
        sn: 'User',
        mailNickname: 'internetuser',
        targetAddress: 'internetUser@remote.domain',
        proxyAddresses: ['internetuser@xo.one'],
        comment: ['seed.csv:2'],
      },
    ]);
    expect(r.model.header).toContain('    baseDn: dc=xo,dc=one');
  });

  it.each([
    ['UTF-16LE with a byte order mark (csvde -u)', utf16(`${HEADER}\r\n${SEED_ROW}\r\n`)],
    ['UTF-8 with a byte order mark', utf8(`\uFEFF${HEADER}\n${SEED_ROW}\n`)],
    ['columns in another order and case, an extra column ignored', utf8(`TargetAddress,DN,mailNickname,proxyAddresses,givenName,sn,whenCreated\nSMTP:internetUser@remote.domain,"CN=Internet User,OU=internet users,DC=xo,DC=one",internetuser,SMTP:internetUser@remote.domain;smtp:internetuser@xo.one,Internet,User,20240101\n`)],
  ])('reads %s', (_name, bytes) => {
    const r = importCsvde(bytes, 'c.csv');
    expect(r.errors).toEqual([]);
    expect(r.model.contacts.map((c) => [c.cn, c.ou, c.targetAddress, c.proxyAddresses, c.mailNickname])).toEqual([['Internet User', 'internet users', 'internetUser@remote.domain', ['internetuser@xo.one'], 'internetuser']]);
  });

  it('parses RFC 4180 quoting: commas, doubled quotes and line breaks inside quotes', () => {
    const problems: never[] = [];
    expect(parseCsv('a,"b, c","say ""hi""","two\nlines"\r\nx,y\n', 'f', problems)).toEqual([
      { fields: ['a', 'b, c', 'say "hi"', 'two\nlines'], line: 1 },
      { fields: ['x', 'y'], line: 3 },
    ]);
  });

  it.each([
    ['CN=Doe\\, John,OU=internet users,DC=xo,DC=one', { cn: 'Doe, John', ou: 'internet users', base: 'DC=xo,DC=one' }],
    ['CN=Ann,OU=Sales\\, EMEA,OU=people,DC=x,DC=y', { cn: 'Ann', ou: 'Sales\\, EMEA,people', base: 'DC=x,DC=y' }],
    ['CN=\\#1 fan', { cn: '#1 fan', ou: '', base: '' }],
    ['OU=x,DC=y', 'does not start with CN= (a contact is named by its CN)'],
  ])('parseDn %s', (dn, expected) => {
    expect(parseDn(dn)).toEqual(expected);
  });

  it.each([
    ['a row with too many fields', utf8(`${HEADER}\n${SEED_ROW},extra\n`), 'c.csv:2: has 12 fields, the header 11'],
    ['a missing targetAddress column', utf8('objectClass,dn\ncontact,CN=x\n'), 'c.csv:1: the header has no targetAddress column (expected the csvde header objectclass,dn,name,cn,sn,givenname,displayname,proxyaddresses,targetaddress,mail,mailnickname)'],
    ['a DN that is no contact name', utf8('dn,targetAddress\nOU=people,a@b.example\n'), 'c.csv:2: dn "OU=people" does not start with CN= (a contact is named by its CN)'],
    ['an invalid targetAddress', utf8('dn,targetAddress\nCN=x,SMTP:not an address\n'), 'c.csv:2: targetAddress "not an address" is not of the form local@domain'],
    ['an unclosed quote', utf8('dn,targetAddress\n"CN=x,a@b.example\n'), 'c.csv:2: has a quoted field that is never closed'],
    ['an ANSI (Windows-1252) file', new Uint8Array([...utf8(`dn,targetAddress\nCN=Jos`), 0xe9, ...utf8(',j@b.example\n')]), 'c.csv:2: is neither UTF-8 nor UTF-16LE with a byte order mark (csvde without -u writes the ANSI code page); export it with csvde -u'],
    ['UTF-16LE cut short', new Uint8Array([0xff, 0xfe, 0x64, 0x00, 0x6e]), 'c.csv: is UTF-16LE (byte order mark FF FE) but has an odd number of bytes: the file is cut short'],
    ['an empty file', new Uint8Array(), 'c.csv: is empty: a csvde file starts with its header line'],
  ])('refuses %s with one line naming file and line', (_name, bytes, message) => {
    const r = importCsvde(bytes, 'c.csv');
    expect(r.errors.map((e) => `${e.file}${e.line > 0 ? `:${e.line}` : ''}: ${e.message}`).slice(0, 1)).toEqual([message]);
  });

  it('leaves out rows that are not contacts, with a warning', () => {
    const r = importCsvde(utf8(`${HEADER}\n${SEED_ROW.replace(/^contact/, 'user')}\n`), 'c.csv');
    expect(r.errors).toEqual([]);
    expect(r.model.contacts).toEqual([]);
    expect(r.warnings).toEqual([{ file: 'c.csv', line: 2, message: 'objectClass "user" is not a contact: left out' }]);
  });
});

describe('import csvde: the csvde files of build round-trip', () => {
  // every example whose contacts build writes as csvde: the same file comes back, byte for byte
  it.each(['examples/method2/chainmail.yaml', 'examples/idn-chain/chainmail.yaml', 'testdata/compile/003-postfix-gateway/chainmail.yaml'])('%s', async (input) => {
    const original = model(input);
    const [csv] = compileCsv(original);
    if (!csv) throw new Error(`${input} has no contacts`);
    const bytes = typeof csv.content === 'string' ? new TextEncoder().encode(csv.content) : csv.content;
    const dir = mkdtempSync(join(tmp, 'rt-'));
    writeFileSync(join(dir, 'contacts.csv'), bytes);
    const systems = new Set(original.contacts.map((c) => c.system));
    const system = systems.size === 1 ? [...systems][0] : undefined;
    const r = await cli(['import', 'csvde', 'contacts.csv', '--out', 'contacts.yaml', ...(system ? ['--system', system] : [])], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // the original file with its contacts replaced by the imported include file
    const doc = parse(readFileSync(join(repoRoot, input), 'utf8')) as Record<string, unknown>;
    delete doc['contacts'];
    doc['include'] = ['contacts.yaml'];
    writeFileSync(join(dir, 'main.yaml'), stringify(doc));
    const back = model(join(dir, 'main.yaml'));
    const [again] = compileCsv(back);
    expect(Buffer.from(again?.content ?? '')).toEqual(Buffer.from(bytes));
  });

  it('renders an include file: contacts only, no version', () => {
    const r = importCsvde(utf8(`${HEADER}\n${SEED_ROW}\n`), 'seed.csv');
    const text = renderImported(r.model);
    expect(text).not.toMatch(/^version:/m);
    expect(text).toMatch(/^contacts:\n {2}# seed\.csv:2\n {2}- cn: Internet User\n/m);
  });
});
