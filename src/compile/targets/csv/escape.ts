/**
 * CSV quoting (RFC 4180 section 2) for csvde, and the spreadsheet-formula check.
 */

/**
 * One CSV field: quoted when it holds a comma, a double quote, CR or LF (RFC 4180 2.6),
 * or starts or ends with a space (Excel and many readers trim unquoted spaces); quotes
 * inside are doubled (RFC 4180 2.7). Everything else is written as is, like the seed's row.
 */
export function csvField(value: string): string {
  if (NEEDS_QUOTES.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** UTF-16LE bytes with a byte order mark (what `csvde -u` reads). */
export function utf16leWithBom(text: string): Uint8Array {
  const body = Buffer.from(text, 'utf16le');
  const out = new Uint8Array(body.length + 2);
  out[0] = 0xff;
  out[1] = 0xfe;
  out.set(body, 2);
  return out;
}
