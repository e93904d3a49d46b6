/**
 * Distinguished-name escaping (RFC 4514), shared by the LDIF and csvde targets
 * (src/compile/targets/ldif/) and the csvde import (src/import/csvde.ts): a module of
 * pure string functions that every stage may use.
 */

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
