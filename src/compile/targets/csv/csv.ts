import type { Model } from '../../../model/model.js';
import type { OutputFile } from '../../output.js';
import { allContacts, contactEntries, type ContactEntry } from '../ldif/contact-entries.js';
import { csvField, isAscii, utf16leWithBom } from './escape.js';

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
  // the Exchange target asks too (csvNeedsUnicode): render the file once per model
  let files = csvOf.get(model);
  if (!files) {
    const contacts = contactEntries(model);
    const text = contacts.length === 0 ? '' : [CSVDE_HEADER, ...contacts.map(row)].join(EOL) + EOL;
    files = contacts.length === 0 ? [] : [{ path: CSV_PATH, content: isAscii(text) ? text : utf16leWithBom(text) }];
    csvOf.set(model, files);
  }
  return [...files];
}

const csvOf = new WeakMap<Model, readonly OutputFile[]>();

/** Whether the csvde file of this model needs `csvde -u` (it is written as UTF-16LE). */
export function csvNeedsUnicode(model: Model): boolean {
  const [file] = compileCsv(model);
  return file !== undefined && typeof file.content !== 'string';
}

function row(c: ContactEntry): string {
  return [
    'contact',
    c.dn,
    c.name,
    c.cn,
    c.sn ?? '',
    c.givenName ?? '',
    c.displayName,
    // csvde has no escape for the separator: an address containing ";" cannot be written here.
    c.proxyAddresses.join(CSVDE_MULTI_VALUE_SEPARATOR),
    c.targetAddress,
    c.mail,
    c.mailNickname ?? '',
  ]
    .map(csvField)
    .join(',');
}
