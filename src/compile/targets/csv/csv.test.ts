import { describe, expect, it } from 'vitest';
import { contactModel, type ContactInput } from '../../../../test/support/contact-model.js';
import { escapeDnValue } from '../ldif/escape.js';
import { compileCsv, CSVDE_HEADER, csvNeedsUnicode, formulaPrefix } from './csv.js';
import { csvField } from './escape.js';

const seedContact: ContactInput = {
  cn: 'Internet User',
  ou: 'internet users',
  givenName: 'Internet',
  sn: 'User',
  displayName: 'Internet User',
  mailNickname: 'internetuser',
  targetAddress: 'internetUser@remote.domain',
  proxyAddresses: ['internetuser@xo.one'],
};

/** The file as text: UTF-8 strings as is, UTF-16LE bytes checked for their BOM and decoded. */
function decode(content: string | Uint8Array): string {
  if (typeof content === 'string') return content;
  expect([content[0], content[1]]).toEqual([0xff, 0xfe]);
  return Buffer.from(content.subarray(2)).toString('utf16le');
}

/** A small RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && field === '') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i];
        i++;
      }
      if (i < text.length && text[i] !== ',' && text.slice(i, i + 2) !== '\r\n') throw new Error(`text after a closing quote at ${i}`);
      continue;
    }
    if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (text.slice(i, i + 2) === '\r\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      if (c === '"') throw new Error(`quote inside an unquoted field at ${i}`);
      if (c === '\n' || c === '\r') throw new Error(`bare line break outside quotes at ${i}`);
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('the last record has no CRLF');
  return rows;
}

function csv(contacts: readonly ContactInput[]): { text: string; unicode: boolean } {
  const files = compileCsv(contactModel(contacts));
  expect(files.map((f) => f.path)).toEqual(['contacts/contacts.csv']);
  const content = files[0]?.content ?? '';
  return { text: decode(content), unicode: typeof content !== 'string' };
}

describe('compileCsv', () => {
  it("writes the seed's header and the seed's example row", () => {
    const { text, unicode } = csv([seedContact]);
    expect(unicode).toBe(false);
    // The seed's row, with the DN's attribute types in upper case and no space after ";".
    expect(text).toBe(
      `${CSVDE_HEADER}\r\n` +
        'contact,"CN=Internet User,OU=internet users,DC=xo,DC=one",Internet User,Internet User,User,Internet,Internet User,' +
        'SMTP:internetUser@remote.domain;smtp:internetuser@xo.one,SMTP:internetUser@remote.domain,internetUser@remote.domain,internetuser\r\n',
    );
  });

  it('writes no file without contacts', () => {
    expect(compileCsv(contactModel([]))).toEqual([]);
  });

  it('switches the whole file to UTF-16LE with a BOM when a value is not ASCII', () => {
    const { text, unicode } = csv([seedContact, { ...seedContact, cn: '山田 太郎', mailNickname: 'taro' }]);
    expect(unicode).toBe(true);
    expect(text.startsWith(`${CSVDE_HEADER}\r\n`)).toBe(true);
    expect(text).toContain('"CN=山田 太郎,OU=internet users,DC=xo,DC=one",山田 太郎,山田 太郎');
    expect(csvNeedsUnicode(contactModel([seedContact]))).toBe(false);
    expect(csvNeedsUnicode(contactModel([{ ...seedContact, sn: 'Müller' }]))).toBe(true);
  });

  it('has no comment line: the first line is the header', () => {
    expect(csv([seedContact]).text.split('\r\n')[0]).toBe(CSVDE_HEADER);
  });

  it('leaves empty columns for missing attributes', () => {
    const rows = parseCsv(csv([{ cn: 'Bare', targetAddress: 'bare@remote.domain' }]).text);
    expect(rows[1]).toEqual(['contact', 'CN=Bare,DC=xo,DC=one', 'Bare', 'Bare', '', '', 'Bare', 'SMTP:bare@remote.domain', 'SMTP:bare@remote.domain', 'bare@remote.domain', '']);
  });
});

describe('csvField (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['Doe, John', '"Doe, John"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rx', '"cr\rx"'],
    [' lead', '" lead"'],
    ['trail ', '"trail "'],
    ['=SUM(1)', '=SUM(1)'],
    ['a;b', 'a;b'],
    ['山田', '山田'],
  ])('%j -> %j', (value, field) => {
    expect(csvField(value)).toBe(field);
  });
});

describe('formulaPrefix', () => {
  it.each([
    ['=SUM(A1)', '='],
    ['+31 20 123', '+'],
    ['-x', '-'],
    ['@cmd', '@'],
    ['Doe, John', undefined],
    [' =x', undefined],
    ['', undefined],
  ])('%j -> %j', (value, prefix) => {
    expect(formulaPrefix(value)).toBe(prefix);
  });
});

const nasty: readonly string[] = [
  'Doe, John',
  'IJsselmeer, Jan van',
  'John "Johnny" Doe',
  'two\nlines',
  'two\r\nlines',
  ' Leading',
  'Trailing ',
  '=HYPERLINK("x")',
  '#1 fan',
  '山田 太郎',
  'DOMAIN\\user',
  'nul\0byte',
  'a+b;c',
  '"',
  ',',
];

describe('CSV round trip', () => {
  it('parses back into exactly the contacts, in DN order', () => {
    const contacts: ContactInput[] = nasty.map((v, i) => ({
      cn: v,
      ou: escapeDnValue(v),
      givenName: v,
      sn: v,
      displayName: v,
      mailNickname: `nick${i}`,
      targetAddress: `user${i}@remote.domain`,
      proxyAddresses: [`user${i}@xo.one`, `alias${i}@xo.one`],
    }));
    const { text, unicode } = csv(contacts);
    expect(unicode).toBe(true);
    const [header, ...rows] = parseCsv(text);
    expect(header?.join(',')).toBe(CSVDE_HEADER);
    expect(rows).toHaveLength(contacts.length);
    const byNick = new Map(rows.map((r) => [r[10], r]));
    contacts.forEach((c, i) => {
      const r = byNick.get(c.mailNickname ?? '');
      expect(r, c.cn).toBeDefined();
      const dn = `CN=${escapeDnValue(c.cn)},OU=${escapeDnValue(c.cn)},DC=xo,DC=one`;
      expect(r).toEqual([
        'contact',
        dn,
        c.cn,
        c.cn,
        c.sn,
        c.givenName,
        c.displayName,
        `SMTP:user${i}@remote.domain;smtp:user${i}@xo.one;smtp:alias${i}@xo.one`,
        `SMTP:user${i}@remote.domain`,
        `user${i}@remote.domain`,
        c.mailNickname,
      ]);
    });
    // Rows are in DN order (code points), like the LDIF.
    const dns = rows.map((r) => r[1] ?? '');
    expect(dns).toEqual([...dns].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });
});
