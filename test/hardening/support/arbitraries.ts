import fc from 'fast-check';
import type { FieldKind } from './org.js';

/**
 * Strings that try every escape of every artifact format: the specials of DNs (RFC 4514),
 * LDIF (RFC 2849 leading space, colon, `<`), CSV (quote, comma, CR, LF) and spreadsheets
 * (`=`, `+`, `-`, `@`), PowerShell (every single and double quote, `$`, backtick, `#>`,
 * `;`), Markdown (`|`, backticks, emphasis, HTML), Postfix maps (blanks, `#`), plus Unicode
 * that some tools read as a line break or a quote, and now and then a control character or
 * half a surrogate pair (which the schema and the loader must refuse).
 */
const SPECIALS = [
  ',', '+', '"', '\\', '<', '>', ';', '=', '#', '|', "'", '\u2018', '\u2019', '\u201a', '\u201b', '\u201c', '\u201d', '\u201e',
  '$', '(', ')', '{', '}', '[', ']', '*', '_', '~', '&', '!', '%', '@', ':', '.', '-', '^', '/', '?', '`', ' ', ' ', '  ',
  '#>', '<#', '$(', '@(', '``', '```', '\\|', '--', 'é', '山', '例え', 'Ä', 'ß', '\u00a0', '\u0085', '\u2028', '\u2029', '\ufeff',
  '\u200b', '\u0301', '\u202e', '\uff1d', '😀', '<br>', '<script>', '](http://x)', '\\,', '\\2C', '%0A', 'SMTP:', 'smtp:',
];
const CONTROLS = ['\n', '\r', '\r\n', '\t', '\u0000', '\u001b', '\u007f', '\u000b'];
const LONE = ['\ud800', '\udfff'];

// refused pieces (controls, lone surrogates) are rare, so that an organisation with hostile
// text in a dozen fields is still accepted most of the time and the properties have cases
const piece = fc.oneof(
  { weight: 120, arbitrary: fc.constantFrom(...SPECIALS) },
  { weight: 80, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 4 }) },
  { weight: 20, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom(...CONTROLS) },
  { weight: 1, arbitrary: fc.constantFrom(...LONE) },
);

/** A hostile free-text value. */
export const nastyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 15, arbitrary: fc.array(piece, { minLength: 1, maxLength: 8 }).map((p) => p.join('')) },
);

// RFC 5322 atext plus UTF-8 (RFC 6531): what an unquoted local part may hold
const ATEXT = "abcXYZ019!#$%&'*+-/=?^_`{|}~".split('');
const atom = fc.array(fc.oneof(fc.constantFrom(...ATEXT), fc.constantFrom('é', '山', 'Ä', 'ß', '😀')), { minLength: 1, maxLength: 6 }).map((a) => a.join(''));

/** A local part: dot-atoms (valid), quoted strings (valid with specials inside), or hostile text. */
export const localPart: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.array(atom, { minLength: 1, maxLength: 3 }).map((a) => a.join('.')) },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(' ', ',', ';', '@', '<', '>', '(', ')', '#', '|', ':', '\\"', '\\\\', "'"), atom), { minLength: 1, maxLength: 5 })
      .map((a) => `"${a.join('')}"`),
  },
  { weight: 2, arbitrary: nastyText.filter((s) => s !== '') },
);

const label = fc.oneof(
  fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/),
  fc.constantFrom('例え', 'bücher', 'ÄÖÜ', 'xn--r8jz45g', 'MIXED'),
);

/** A domain: valid (with IDN and upper case), or hostile text. */
export const domainName: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.array(label, { minLength: 1, maxLength: 2 }), fc.constantFrom('example', 'test', 'jp', 'com')).map(([l, t]) => [...l, t].join('.')) },
  { weight: 1, arbitrary: nastyText },
);

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));

/** A host specification: `[ip]`, `[ip]:port`, `name`, `[IPv6:...]`, or hostile text. */
export const hostSpec: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(ipv4, fc.option(fc.integer({ min: 1, max: 65535 }))).map(([ip, p]) => `[${ip}]${p === null ? '' : `:${p}`}`) },
  { weight: 1, arbitrary: fc.constantFrom('[2001:db8::25]', '[IPv6:2001:db8::1]:2525', '2001:db8::7') },
  { weight: 2, arbitrary: fc.tuple(domainName, fc.option(fc.integer({ min: 1, max: 65535 }))).map(([d, p]) => `${d}${p === null ? '' : `:${p}`}`) },
  { weight: 2, arbitrary: nastyText },
);

/** A transport(5) value for localTransport: `name:nexthop` with hostile text after the colon, or hostile text. */
export const transport: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('local', 'lmtp', 'virtual', 'smtp', 'relay'), nastyText).map(([t, n]) => `${t}:${n}`) },
  { weight: 1, arbitrary: nastyText },
);

/** An RFC 4514 escape of one value, written independently of the LDIF target's escaper. */
export function escapeDnValueIndependently(v: string): string {
  const chars = [...v];
  return chars
    .map((c, i) => {
      if (c < ' ' || c === '\u007f') return [...Buffer.from(c, 'utf8')].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
      if ('"+,;<>\\'.includes(c)) return `\\${c}`;
      if (i === 0 && (c === ' ' || c === '#')) return `\\${c}`;
      if (i === chars.length - 1 && c === ' ') return '\\ ';
      // other white space at either end as hex pairs: readers trim Unicode white space (\s)
      if ((i === 0 || i === chars.length - 1) && /\s/.test(c)) return [...Buffer.from(c, 'utf8')].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
      return c;
    })
    .join('');
}

/** A valid base DN: `dc=..,ou=..` whose values are hostile but escaped. */
export const baseDn: fc.Arbitrary<string> = fc
  .array(fc.tuple(fc.constantFrom('dc', 'DC', 'ou', 'o', 'cn'), nastyText.filter((s) => s !== '' && !/[\u0000-\u001f\u007f]|\p{Cs}/u.test(s))), { minLength: 1, maxLength: 3 })
  .map((rdns) => rdns.map(([t, v]) => `${t}=${escapeDnValueIndependently(v)}`).join(','));

/** The generator for a field of a kind. */
export function arbitraryFor(kind: FieldKind): fc.Arbitrary<string> {
  switch (kind) {
    case 'text':
    case 'ou':
      return nastyText;
    case 'local':
      return localPart;
    case 'domain':
      return domainName;
    case 'host':
      return hostSpec;
    case 'transport':
      return transport;
    case 'dn':
      return baseDn;
  }
}
