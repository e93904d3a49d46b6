import type { Model } from '../../../model/model.js';
import type { OutputFile } from '../../output.js';
import { TextSink, utf8File } from '../../text-sink.js';
import { allContacts, contactEntries, type ContactEntry } from '../ldif/contact-entries.js';
import { csvField, utf16leWithBom } from './escape.js';

export { formulaPrefix } from '../../../text/formula.js';

export const CSV_PATH = 'contacts/contacts.csv';

/** The seed's csvde header (KB 321721 method 2, step 2): the minimum set for a mail-enabled contact. */
export const CSVDE_HEADER = 'objectClass,dn,name,cn,sn,givenName,displayName,proxyAddresses,targetAddress,mail,mailnickname';

/**
 * csvde separates the values of a multi-valued attribute with `;`. The seed's example row
 * writes "SMTP:a; smtp:b"; we write no space after the `;` so that no value can start with
 * one, whether or not csvde trims it.
 */
export const CSVDE_MULTI_VALUE_SEPARATOR = ';';

/**
 * csvde uses CRLF: it is a Windows tool (Windows Server 2000/2003 and later) and the file is
 * meant to be opened in Excel, as the seed suggests; both read CRLF as the record separator.
 */
const EOL = '\r\n';

/**
 * The contacts as a csvde import file (`csvde -i -f contacts.csv`, or `csvde -i -u -f` for
 * the Unicode form). One row per contact, the same objects as the LDIF target.
 * csvde reads the first line as the header and has no comment syntax, so this file has no
 * "generated" header comment. When any value is not ASCII the whole file is UTF-16LE with a
 * byte order mark, which is what `csvde -u` expects. No contacts, no file.
 */
export function compileCsv(model: Model, problems: string[] = []): OutputFile[] {
  // csvde separates the values of proxyAddresses with ";" and has no escape for it
  for (const c of allContacts(model)) {
    for (const a of [c.targetAddress, ...c.proxyAddresses.map((p) => p.address)]) {
      if (a.display.includes(';')) problems.push(`contact ${JSON.stringify(c.cn)}: address ${JSON.stringify(a.display)} holds ";", which csvde reads as a value separator; use the LDIF (--target ldif) for it`);
    }
  }
  return [...csvFile(model).files];
}

/** The file, rendered once per model (the Exchange target asks whether it is Unicode too). */
function csvFile(model: Model): CsvFile {
  let csv = csvOf.get(model);
  if (!csv) {
    const contacts = contactEntries(model);
    if (contacts.length === 0) csv = { files: [], unicode: false };
    else {
      // rendered into UTF-8 bytes row by row (40,000 rows at 100,000 recipients); the sink tells whether all is ASCII
      const sink = new TextSink();
      sink.add(CSVDE_HEADER);
      sink.add(EOL);
      for (const c of contacts) row(c, sink);
      const { parts, ascii } = sink.finish();
      if (ascii) csv = { files: [utf8File(CSV_PATH, parts)], unicode: false };
      else {
        // UTF-16LE from the text itself (not decoded from the UTF-8 bytes, which hold no lone surrogate)
        const text: string[] = [CSVDE_HEADER, EOL];
        for (const c of contacts) row(c, { add: (s) => text.push(s) });
        csv = { files: [{ path: CSV_PATH, content: utf16leWithBom(text.join('')) }], unicode: true };
      }
    }
    csvOf.set(model, csv);
  }
  return csv;
}

interface CsvFile {
  readonly files: readonly OutputFile[];
  readonly unicode: boolean;
}

const csvOf = new WeakMap<Model, CsvFile>();

/** Whether the csvde file of this model needs `csvde -u` (it is written as UTF-16LE). */
export function csvNeedsUnicode(model: Model): boolean {
  return csvFile(model).unicode;
}

/** One contact's row, its fields appended to `sink` one by one. */
function row(c: ContactEntry, sink: Pick<TextSink, 'add'>): void {
  sink.add('contact');
  for (const v of [c.dn, c.name, c.cn, c.sn ?? '', c.givenName ?? '', c.displayName]) field(sink, v);
  // csvde has no escape for the separator: an address containing ";" cannot be written here.
  field(sink, c.proxyAddresses.join(CSVDE_MULTI_VALUE_SEPARATOR));
  for (const v of [c.targetAddress, c.mail, c.mailNickname ?? '']) field(sink, v);
  sink.add(EOL);
}

function field(sink: Pick<TextSink, 'add'>, value: string): void {
  sink.add(',');
  sink.add(csvField(value));
}
