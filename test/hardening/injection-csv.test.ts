import { afterAll, describe, expect, it } from 'vitest';
import { compileCsv, CSVDE_HEADER, formulaPrefix } from '../../src/compile/targets/csv/csv.js';
import { contactModel, type ContactInput } from '../support/contact-model.js';
import { cleanup } from './support/org.js';
import { decodeCsvde, parseCsv } from './support/parsers.js';
import { roundTrip, summary } from './support/roundtrip.js';

/**
 * The csvde file (RFC 4180 quoting, UTF-16LE when not ASCII) under hostile values: every
 * row reads back to the contact's values with a strict CSV reader, and a value that a
 * spreadsheet would run as a formula gets a spreadsheet-formula warning (the CSV keeps it
 * as is: csvde must import the real value).
 */

afterAll(cleanup);

const CSV_NASTY: string[] = [
  'Doe, Jane',
  'say "hi"',
  '"',
  '""',
  ',',
  ' padded ',
  "O'Brien",
  'tab\u00a0nbsp',
  '山田 太郎',
  '\u2028',
  '😀,"x"',
];
const FORMULAS = ['=1+1', '+1', '-1', '@SUM(A1)', '=HYPERLINK("http://evil.example","click")', '=cmd|\' /C calc\'!A0'];

describe('contact values in contacts.csv, through the whole pipeline', () => {
  describe.each(['cn', 'givenName', 'sn', 'displayName', 'mailNickname'] as const)('%s', (field) => {
    it.each(CSV_NASTY)('%j reads back from its row', (value) => {
      expect(summary(roundTrip({ [field]: value }))).toBe('ok');
    });

    it.each(FORMULAS)('formula %j reads back unchanged, with a spreadsheet-formula warning', (value) => {
      const o = roundTrip({ [field]: value });
      expect(summary(o)).toBe('ok');
      const warnings = o.loaded.result.diagnostics.filter((d) => d.ruleId === 'spreadsheet-formula');
      expect(warnings.map((d) => d.severity)).toEqual(['warning']);
    });

    it.each(['a\nb', 'a\r\nb', '\r'])('%j is refused by the schema', (value) => {
      expect(summary(roundTrip({ [field]: value }))).toBe('refused: schema');
    });
  });

  it.each(['=x', '+x', '-x'])('a targetAddress local part %j (valid atext) gets the warning too: it is the mail column', (local) => {
    const o = roundTrip({ 'targetAddress local part': local });
    expect(summary(o)).toBe('ok');
    expect(o.loaded.result.diagnostics.filter((d) => d.ruleId === 'spreadsheet-formula')).toHaveLength(1);
  });

  it('is UTF-16LE with a byte order mark when a value is not ASCII, and ASCII otherwise', () => {
    const unicode = roundTrip({ cn: '山田' });
    const ascii = roundTrip({ cn: 'Yamada' });
    if (unicode.kind !== 'ok' || ascii.kind !== 'ok') throw new Error('refused');
    const file = (o: typeof unicode): string | Uint8Array => o.built.files.find((f) => f.path === 'contacts/contacts.csv')?.content ?? '';
    expect(typeof file(ascii)).toBe('string');
    expect([...(file(unicode) as Uint8Array).subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(decodeCsvde(file(unicode))).toContain('山田');
  });

  // Regression test (fixed: the csv target refuses such addresses with a CompileError).
  // Was: (csv target, src/compile/targets/csv/csv.ts row()): csvde separates the values of a
  // multi-valued attribute with ";" and has no escape for it, yet a quoted local part may hold
  // one ("a;b"@xo.one is valid RFC 5321). The proxyAddresses field then imports as two
  // values, smtp:"a and b"@xo.one. Suggested fix: compileCsv reports the address in
  // `problems` (a CompileError naming it: "use the LDIF"), like the Postfix target does for
  // what a map cannot hold.
  it.each(['proxyAddress local part', 'targetAddress local part'])('a quoted %s with ";" is refused, not split in two', (field) => {
    const o = roundTrip({ [field]: '"a;b"' });
    expect(o.kind === 'refused' || o.built.files.every((f) => f.path !== 'contacts/contacts.csv')).toBe(true);
  });
});

describe('the csv target past the schema (a model built by hand)', () => {
  const values = ['a\nb', 'a\r\nb', '\r', '"\n"', ',\r\n,', 'x"\r\ny'];
  it.each(values)('%j reads back from its row', (v) => {
    const contact: ContactInput = { cn: v, givenName: v, sn: v, displayName: v, mailNickname: v, targetAddress: 'x@remote.example' };
    const [file] = compileCsv(contactModel([contact]));
    const rows = parseCsv(decodeCsvde(file?.content ?? ''));
    expect(rows[0]?.join(',')).toBe(CSVDE_HEADER);
    expect(rows).toHaveLength(2);
    const [, dn, name, cn, sn, given, display, , , , nick] = rows[1] ?? [];
    expect([name, cn, sn, given, display, nick]).toEqual([v, v, v, v, v, v]);
    expect(dn?.startsWith('CN=')).toBe(true);
  });

  it.each([
    ['=1', '='],
    ['+1', '+'],
    ['-1', '-'],
    ['@x', '@'],
    [' =1', undefined],
    ['a=1', undefined],
    ['', undefined],
  ])('formulaPrefix(%j) = %j', (v, p) => {
    expect(formulaPrefix(v)).toBe(p);
  });
});
