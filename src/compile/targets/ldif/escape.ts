/**
 * Escaping for LDIF (RFC 2849) and for distinguished names (RFC 4514).
 * Pure string functions; table-tested in escape.test.ts.
 */

/** The column at which LDIF lines are folded (RFC 2849 note 2 recommends short lines; 76 is ldapsearch's and ldifde's habit). */
export const LDIF_LINE_WIDTH = 76;

/**
 * Escapes one attribute value for use in a DN (RFC 4514 section 2.4): `"+,;<>\` and `=`
 * (Active Directory escapes `=` as well, and RFC 4514 allows escaping it), a leading space
 * or `#`, a trailing space, NUL and other control characters as `\XX`. Non-ASCII stays as
 * UTF-8 (the LDIF line then goes base64).
 */
export function escapeDnValue(value: string): string {
  let out = '';
  const chars = [...value];
  chars.forEach((c, i) => {
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if ('"+,;<>\\='.includes(c)) out += `\\${c}`;
    else if (i === 0 && (c === ' ' || c === '#')) out += `\\${c}`;
    else if (i === chars.length - 1 && c === ' ') out += '\\ ';
    else out += c;
  });
  return out;
}

/** Reverses {@link escapeDnValue} (and any RFC 4514 `\c` or `\XX` escape). */
export function unescapeDnValue(escaped: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i] ?? '';
    if (c === '\\' && i + 1 < escaped.length) {
      const hex = escaped.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
      i++;
      bytes.push(...enc.encode(escaped[i] ?? ''));
      continue;
    }
    const cp = escaped.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    bytes.push(...enc.encode(ch));
    i += ch.length - 1;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * Splits a DN string at separators (`,` between RDNs) that are not escaped with `\`.
 * Each piece keeps its escapes; surrounding unescaped white space is trimmed.
 */
export function splitUnescaped(text: string, separator = ','): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '\\' && i + 1 < text.length) {
      current += c + (text[i + 1] ?? '');
      i++;
    } else if (c === separator) {
      parts.push(trimUnescaped(current));
      current = '';
    } else current += c;
  }
  parts.push(trimUnescaped(current));
  return parts;
}

function trimUnescaped(s: string): string {
  const start = s.trimStart();
  // Keep an escaped trailing space (`\ `): count the backslashes before the last space.
  let end = start.length;
  while (end > 0 && /\s/.test(start[end - 1] ?? '')) {
    let backslashes = 0;
    for (let j = end - 2; j >= 0 && start[j] === '\\'; j--) backslashes++;
    if (backslashes % 2 === 1) break;
    end--;
  }
  return start.slice(0, end);
}

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
