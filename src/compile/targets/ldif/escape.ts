/**
 * Escaping for LDIF (RFC 2849) and for distinguished names (RFC 4514).
 * Pure string functions; table-tested in escape.test.ts. The DN escaping is shared with the
 * csvde import: src/text/dn.ts.
 */

export { escapeDnValue, splitUnescaped, unescapeDnValue } from '../../../text/dn.js';

/** The column at which LDIF lines are folded (RFC 2849 note 2 recommends short lines; 76 is ldapsearch's and ldifde's habit). */
export const LDIF_LINE_WIDTH = 76;

/**
 * Whether a value may be written as `attr: value` (RFC 2849 SAFE-STRING): only ASCII
 * except NUL, LF and CR; not starting with space, `:` or `<`. A value ending in a space
 * SHOULD be base64 too (RFC 2849 note 8), and so it is here. The empty string is safe.
 */
export function isSafeString(value: string): boolean {
  if (value === '') return true;
  if (!/^[\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(value)) return false;
  if (/^[ :<]/.test(value)) return false;
  return !value.endsWith(' ');
}

/** Base64 of the UTF-8 bytes (RFC 2849 BASE64-UTF8-STRING). */
export function base64Utf8(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}

/**
 * One LDIF line `name: value`, or `name:: base64` when the value is not a SAFE-STRING,
 * folded at {@link LDIF_LINE_WIDTH} columns. The text being folded is always ASCII
 * (unsafe values are base64), so a fold can never split a UTF-8 sequence.
 */
export function ldifLine(name: string, value: string): string {
  const line = isSafeString(value) ? `${name}: ${value}` : `${name}:: ${base64Utf8(value)}`;
  return fold(line);
}

/**
 * Folds a line (RFC 2849: "a line may be continued on the next line by inserting a line
 * separator and a single space"): the first line holds `width` characters, every
 * continuation line one space plus `width - 1` characters.
 */
export function fold(line: string, width = LDIF_LINE_WIDTH): string {
  if (line.length <= width) return line;
  const out = [line.slice(0, width)];
  for (let i = width; i < line.length; i += width - 1) out.push(` ${line.slice(i, i + width - 1)}`);
  return out.join('\n');
}
