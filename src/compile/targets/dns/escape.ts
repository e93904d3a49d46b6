/**
 * The dns target's own escaping, one function per output syntax. TXT data is a sequence of
 * character-strings of at most 255 octets each (RFC 1035 3.3.14, 3.3); SPF and DMARC
 * receivers join them without spaces (RFC 7208 3.3, RFC 7489 6.4), so where the split falls
 * does not change the record. Splits fall between characters, never inside one.
 */

const MAX_STRING = 255;
const encoder = new TextEncoder();

/** A TXT value split into strings of at most 255 UTF-8 octets, at character boundaries. */
export function txtChunks(value: string): string[] {
  const chunks: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of value) {
    const n = encoder.encode(ch).length;
    if (size + n > MAX_STRING) {
      chunks.push(current);
      current = '';
      size = 0;
    }
    current += ch;
    size += n;
  }
  chunks.push(current);
  return chunks;
}

/**
 * A TXT value in zone-file syntax (RFC 1035 5.1): each chunk in double quotes, `"` and `\`
 * escaped with a backslash, every octet outside printable ASCII as `\DDD` (decimal), so a
 * newline or a non-ASCII byte can never end the record or the line.
 */
export function bindTxt(value: string): string {
  return txtChunks(value)
    .map((chunk) => {
      let out = '"';
      for (const byte of encoder.encode(chunk)) {
        if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
        else if (byte < 0x20 || byte > 0x7e) out += `\\${String(byte).padStart(3, '0')}`;
        else out += String.fromCharCode(byte);
      }
      return `${out}"`;
    })
    .join(' ');
}

/** An absolute domain name for a zone file or DNSControl target: A-label, trailing dot. */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/**
 * A TXT value for octoDNS's YAML: its TXT and SPF values escape `;` as `\;` (an unescaped
 * one fails octoDNS's validation) and must be ASCII; octoDNS splits long values into
 * 255-octet strings itself. Returns undefined when the value cannot be written.
 */
export function octodnsTxt(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x20-\x7e]*$/.test(value)) return undefined;
  // a backslash already before ";" would read as octoDNS's own escape; a leading quote as a pre-chunked value
  if (/\\;/.test(value) || value.startsWith('"')) return undefined;
  return value.replace(/;/g, '\\;');
}

/**
 * A JavaScript string literal for dnsconfig.js: JSON's escaping (quotes, backslashes,
 * control characters) plus U+2028/U+2029, which end a line in older JavaScript engines.
 */
export function jsString(value: string): string {
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A TXT argument of DNSControl's TXT(): one string, or an array of 255-octet strings (its documented form). */
export function dnscontrolTxt(value: string): string {
  const chunks = txtChunks(value);
  return chunks.length === 1 ? jsString(value) : `[${chunks.map(jsString).join(', ')}]`;
}
