import { domainToUnicode } from 'node:url';
import { foldCase } from '../../../normalize/casefold.js';
/**
 * What a postmap(1) source file can hold. Its format is "key whitespace value", one logical
 * line each; a line whose first non-blank character is "#" is a comment, a line that starts
 * with whitespace continues the previous one; there is no quoting or escape syntax. So a key
 * cannot contain a blank or a line break and cannot start with "#"; these are refused rather
 * than written in a form Postfix would read differently.
 */

/** Map types chainmail writes: Debian's default_database_type, or LMDB (postconf -m). @public */
export type MapType = 'hash' | 'lmdb';

// ASCII controls and blanks: Postfix splits on isspace() in the C locale.
const CONTROL = /[\u0000-\u001f\u007f]/;
const BLANK = /[ \t\n\v\f\r]/;
// a surrogate code point in a 'u' regexp is one that is not part of a pair
const LONE_SURROGATE = /\p{Cs}/u;
// a blank, a control, a surrogate (paired or not), a quote or "#" anywhere: a superset of what mapKeyProblem refuses
// eslint-disable-next-line no-control-regex
const SUSPECT_KEY = /[\u0000-\u0020\u007f\ud800-\udfff"#]/;

/** Why `key` cannot be a postmap key, or undefined when it can. */
export function mapKeyProblem(key: string): string | undefined {
  // one test for the common key (hundreds of thousands at 100,000 recipients): none of the
  // characters the checks below look for; any of them takes the full checks
  if (key !== '' && !SUSPECT_KEY.test(key)) return undefined;
  if (key === '') return 'is empty';
  if (LONE_SURROGATE.test(key)) return 'is not valid Unicode (a lone surrogate)';
  // Postfix looks addresses up in its own (unquoted) form: a quoted local part would not
  // match the key as written
  if (key.startsWith('"')) return 'has a quoted local part';
  if (BLANK.test(key)) return 'contains a blank or a line break';
  if (CONTROL.test(key)) return 'contains a control character';
  if (key.startsWith('#')) return 'starts with "#" (postmap would read a comment)';
  return undefined;
}

/** Why `value` cannot be a transport(5) result ("transport:nexthop"), or undefined. */
export function transportValueProblem(value: string): string | undefined {
  if (LONE_SURROGATE.test(value)) return 'is not valid Unicode (a lone surrogate)';
  if (/[\n\r]/.test(value) || CONTROL.test(value.replace(/\t/g, ' '))) return 'contains a line break or a control character';
  if (value.trim() !== value) return 'has leading or trailing blanks';
  if (!value.includes(':')) return 'is not of the form transport:nexthop (e.g. "local:" or "lmtp:unix:private/dovecot-lmtp")';
  return undefined;
}

/** Why `value` cannot be one virtual(5) result address, or undefined. */
export function addressValueProblem(value: string): string | undefined {
  // virtual(5): the result is a list of addresses separated by blanks or commas
  if (value === '') return 'is empty';
  if (LONE_SURROGATE.test(value)) return 'is not valid Unicode (a lone surrogate)';
  if (BLANK.test(value) || CONTROL.test(value)) return 'contains a blank, a line break or a control character';
  if (value.includes(',')) return 'contains a comma (virtual(5) would read two addresses)';
  if (value.startsWith('"')) return 'has a quoted local part';
  return undefined;
}

/** A comment line that stays one line whatever the user's names contain. */
export function safeComment(line: string): string {
  return line.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, '?');
}

/**
 * A map key (`domain`, `@domain` or `local@domain`, its domain an A-label) and, when the
 * domain has a U-label form, that form too. With SMTPUTF8 Postfix looks a domain up as the
 * client wrote it: it converts no U-label to an A-label for table lookups (SMTPUTF8_README,
 * "Limitations"; seen with the real smtpd: RCPT TO:<x@例え.jp> against relay_domains =
 * xn--r8jz45g.jp is 554 5.7.1). Postfix folds the key (casefold.ts), so the lower-case
 * U-label covers its case variants. A U-label that folds to plain ASCII (`straße` ->
 * `strasse`) would be another, ASCII domain in Postfix's eyes: left out, only its A-label
 * is listed (docs/postfix.md).
 */
export function labelForms(key: string): readonly string[] {
  if (!key.includes('xn--')) return [key];
  const at = key.lastIndexOf('@');
  const domain = key.slice(at + 1);
  const unicode = domainToUnicode(domain);
  // eslint-disable-next-line no-control-regex
  if (!unicode || unicode === domain || !/[^\x00-\x7f]/.test(foldCase(unicode))) return [key];
  return [key, `${key.slice(0, at + 1)}${unicode}`];
}
