/**
 * CSV quoting (RFC 4180 section 2) for csvde, and the spreadsheet-formula check.
 */

/**
 * One CSV field: quoted when it holds a comma, a double quote, CR or LF (RFC 4180 2.6),
 * or starts or ends with a space (Excel and many readers trim unquoted spaces); quotes
 * inside are doubled (RFC 4180 2.7). Everything else is written as is, like the seed's row.
 */
export function csvField(value: string): string {
  if (/[",\r\n]/.test(value) || /^\s|\s$/.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

/** Whether every character is 7-bit ASCII (then the file can stay single-byte). */
export function isAscii(value: string): boolean {
  return /^[\x00-\x7f]*$/.test(value);
}

/** UTF-16LE bytes with a byte order mark (what `csvde -u` reads). */
export function utf16leWithBom(text: string): Uint8Array {
  const body = Buffer.from(text, 'utf16le');
  const out = new Uint8Array(body.length + 2);
  out[0] = 0xff;
  out[1] = 0xfe;
  out.set(body, 2);
  return out;
}
