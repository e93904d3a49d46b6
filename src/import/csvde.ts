import { splitUnescaped, unescapeDnValue } from '../text/dn.js';
import { parseAddress } from '../normalize/address.js';
import type { ImportedContact, ImportedModel } from './imported.js';
import type { ImportProblem } from './postfix-maps.js';

/**
 * `chainmail import csvde`: the contacts of a csvde export (`csvde -f out.csv -r
 * "(objectClass=contact)" -l <the seed's attributes>`, or the file `chainmail build`
 * writes) as the `contacts:` of a chainmail file (KB 321721 method 2, step 2).
 * Pure: the file's bytes in, the model and its problems out.
 */

/** The seed's csvde header; any order and any case are accepted, other columns are ignored. */
export const CSVDE_COLUMNS = ['objectclass', 'dn', 'name', 'cn', 'sn', 'givenname', 'displayname', 'proxyaddresses', 'targetaddress', 'mail', 'mailnickname'] as const;

/**
 * The text of a csvde file: UTF-16LE with a byte order mark (`csvde -u`), UTF-8 with or
 * without one, or an error message. csvde without -u writes the ANSI code page: bytes that
 * are not UTF-8 are refused rather than guessed.
 */
export function decodeCsvde(bytes: Uint8Array): string | { error: string; line: number } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    if (bytes.length % 2 !== 0) return { error: 'is UTF-16LE (byte order mark FF FE) but has an odd number of bytes: the file is cut short', line: 0 };
    return Buffer.from(bytes.subarray(2)).toString('utf16le');
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { error: 'is UTF-16 big-endian; export it again with csvde -u (UTF-16LE) or save it as UTF-8', line: 0 };
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start));
  } catch {
    const text = new TextDecoder('utf-8').decode(bytes.subarray(start));
    const line = text.slice(0, text.indexOf('\uFFFD')).split('\n').length;
    return { error: 'is neither UTF-8 nor UTF-16LE with a byte order mark (csvde without -u writes the ANSI code page); export it with csvde -u', line };
  }
}

/** One CSV record with the line it starts on. */
export interface CsvRecord {
  readonly fields: readonly string[];
  readonly line: number;
}

/**
 * RFC 4180 records: fields separated by commas, quoted fields may hold commas, line breaks
 * and doubled quotes; CRLF or LF ends a record; blank lines are skipped.
 */
export function parseCsv(text: string, file: string, problems: ImportProblem[]): CsvRecord[] {
  const out: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let atFieldStart = true;
    for (; i < text.length; i++) {
      const c = text[i] ?? '';
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === '"') quoted = false;
        else {
          if (c === '\n') line++;
          field += c;
        }
        continue;
      }
      if (c === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        atFieldStart = true;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && text[i + 1] === '\n') i++;
        i++;
        line++;
        break;
      } else {
        if (c === '"') {
          problems.push({ file, line, message: 'has a quote inside an unquoted field: quote the whole field and double the quote (RFC 4180)' });
        }
        field += c;
        atFieldStart = false;
      }
    }
    if (quoted) problems.push({ file, line: start, message: 'has a quoted field that is never closed' });
    fields.push(field);
    if (fields.length === 1 && fields[0] === '') continue;
    out.push({ fields, line: start });
  }
  return out;
}

export interface CsvdeImportOptions {
  /** The Exchange system whose directory holds the contacts. */
  readonly system?: string;
  readonly generator?: string;
}

export interface CsvdeImport {
  readonly model: ImportedModel;
  readonly contacts: number;
  readonly errors: readonly ImportProblem[];
  readonly warnings: readonly ImportProblem[];
}

/** Reads a csvde export into contacts (an include file: `contacts:` only). */
export function importCsvde(bytes: Uint8Array, file: string, options: CsvdeImportOptions = {}): CsvdeImport {
  const errors: ImportProblem[] = [];
  const warnings: ImportProblem[] = [];
  const empty = (): CsvdeImport => ({ model: { header: [], include: true, domains: [], systems: [], policies: [], connectors: [], chains: [], contacts: [] }, contacts: 0, errors, warnings });
  const text = decodeCsvde(bytes);
  if (typeof text !== 'string') {
    errors.push({ file, line: text.line, message: text.error });
    return empty();
  }
  const records = parseCsv(text, file, errors);
  const [head, ...rows] = records;
  if (!head) {
    errors.push({ file, line: 0, message: 'is empty: a csvde file starts with its header line' });
    return empty();
  }
  const columns = head.fields.map((f) => f.trim().toLowerCase());
  const col = new Map<string, number>();
  columns.forEach((c, i) => {
    if (col.has(c)) errors.push({ file, line: head.line, message: `the header names the column ${JSON.stringify(head.fields[i])} twice` });
    else col.set(c, i);
  });
  for (const need of ['dn', 'targetaddress']) {
    if (!col.has(need)) errors.push({ file, line: head.line, message: `the header has no ${need === 'dn' ? 'dn' : 'targetAddress'} column (expected the csvde header ${CSVDE_COLUMNS.join(',')})` });
  }
  const ignored = columns.filter((c) => c !== '' && !(CSVDE_COLUMNS as readonly string[]).includes(c));
  if (ignored.length > 0) warnings.push({ file, line: head.line, message: `column${ignored.length === 1 ? '' : 's'} ${ignored.map((c) => JSON.stringify(c)).join(', ')} not imported` });
  if (errors.length > 0) return empty();

  const contacts: ImportedContact[] = [];
  const bases = new Map<string, number>();
  for (const r of rows) {
    const line = r.line;
    if (r.fields.length !== columns.length) {
      errors.push({ file, line, message: `has ${r.fields.length} fields, the header ${columns.length}` });
      continue;
    }
    const get = (name: string): string => {
      const i = col.get(name);
      return i === undefined ? '' : (r.fields[i] ?? '').trim();
    };
    const objectClass = get('objectclass');
    if (objectClass !== '' && objectClass.toLowerCase() !== 'contact') {
      warnings.push({ file, line, message: `objectClass ${JSON.stringify(objectClass)} is not a contact: left out` });
      continue;
    }
    const dn = parseDn(get('dn'));
    if (typeof dn === 'string') {
      errors.push({ file, line, message: `dn ${JSON.stringify(get('dn'))} ${dn}` });
      continue;
    }
    bases.set(dn.base, (bases.get(dn.base) ?? 0) + 1);
    const target = get('targetaddress').replace(/^smtp:/i, '');
    const t = parseAddress(target);
    if (target === '' || t.error) {
      errors.push({ file, line, message: target === '' ? 'has no targetAddress' : `targetAddress ${JSON.stringify(target)} ${t.error ?? ''}` });
      continue;
    }
    const secondaries: string[] = [];
    for (const raw of get('proxyaddresses').split(';').map((p) => p.trim()).filter(Boolean)) {
      const m = /^([A-Za-z0-9]+):(.*)$/.exec(raw);
      const type = m?.[1] ?? 'smtp';
      const address = m ? (m[2] ?? '') : raw;
      if (type.toLowerCase() !== 'smtp') continue; // X400:, X500:, SIP: are not mail routes
      if (type === 'SMTP') {
        if (parseAddress(address).key !== t.key) warnings.push({ file, line, message: `the primary SMTP:${address} is not the targetAddress ${target}; chainmail makes the targetAddress the primary` });
        continue;
      }
      if (parseAddress(address).key === t.key) continue;
      secondaries.push(address);
    }
    const optional = (name: string, key: string): Record<string, string> => (get(key) !== '' ? { [name]: get(key) } : {});
    contacts.push({
      cn: dn.cn,
      ...(dn.ou !== '' ? { ou: dn.ou } : {}),
      ...(options.system !== undefined ? { system: options.system } : {}),
      ...optional('givenName', 'givenname'),
      ...optional('sn', 'sn'),
      ...(get('displayname') !== '' && get('displayname') !== dn.cn ? { displayName: get('displayname') } : {}),
      ...optional('mailNickname', 'mailnickname'),
      targetAddress: target,
      proxyAddresses: secondaries,
      comment: [`${file.slice(file.lastIndexOf('/') + 1)}:${line}`],
    });
  }
  const base = [...bases].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  if (bases.size > 1) warnings.push({ file, line: 0, message: `the contacts are under ${bases.size} different base DNs; the most common, ${JSON.stringify(base)}, belongs in directory.baseDn and the others' contacts will move under it` });
  const model: ImportedModel = {
    header: [
      `${options.generator ?? 'Imported by chainmail'} from the csvde export ${file}: ${contacts.length} contact${contacts.length === 1 ? '' : 's'}.`,
      'An include file (KB 321721 method 2, step 2): name it in the main file with include: [THIS FILE].',
      ...(base !== '' ? [`The main file needs the directory the DNs are under:`, `  directory:`, `    baseDn: ${base}`] : []),
      'Declare the domains of the addresses below under domains: in the main file.',
    ],
    include: true,
    domains: [],
    systems: [],
    policies: [],
    connectors: [],
    chains: [],
    contacts,
  };
  return { model, contacts: contacts.length, errors, warnings };
}

/** `CN=Doe\, John,OU=internet users,DC=xo,DC=one` -> cn, ou (`sub,top`, escapes kept) and the base. */
export function parseDn(dn: string): { cn: string; ou: string; base: string } | string {
  if (dn === '') return 'is empty';
  const rdns = splitUnescaped(dn);
  const first = /^cn\s*=\s*(.*)$/is.exec(rdns[0] ?? '');
  if (!first) return 'does not start with CN= (a contact is named by its CN)';
  const cn = unescapeDnValue(first[1] ?? '');
  if (cn === '') return 'has an empty CN';
  const ous: string[] = [];
  let i = 1;
  for (; i < rdns.length; i++) {
    const m = /^ou\s*=\s*(.*)$/is.exec(rdns[i] ?? '');
    if (!m) break;
    ous.push(m[1] ?? '');
  }
  return { cn, ou: ous.join(','), base: rdns.slice(i).join(',') };
}
