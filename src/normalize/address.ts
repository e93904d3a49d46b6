import { isIP } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import type { Address, DomainName, HostSpec } from '../model/model.js';
import { foldCase, isFolded } from './casefold.js';

// RFC 5322 atext, extended by RFC 6531 with any non-ASCII UTF-8 character, and ".": with no
// leading, trailing or double dot this is an RFC 5321 Dot-string (checked before).
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.\u0080-\u{10FFFF}]+$/u;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const encoder = new TextEncoder();

/**
 * Normalises a domain name: lower case, Unicode to A-labels (UTS #46 via WHATWG URL's
 * domainToASCII), and checks RFC 1035/5321 LDH syntax on the result.
 */
export function parseDomain(input: string): DomainName & { readonly error?: string } {
  // An organisation has a few dozen domains and 100,000 addresses in them: parse each
  // domain once (the result is immutable). Bounded, so hostile input cannot grow it.
  const hit = domainCache.get(input);
  if (hit) return hit;
  // frozen: one object is shared by every caller and every address of the domain
  const parsed = Object.freeze(parseDomainUncached(input));
  if (domainCache.size >= DOMAIN_CACHE_SIZE) domainCache.clear();
  domainCache.set(input, parsed);
  return parsed;
}

const DOMAIN_CACHE_SIZE = 10_000;
const domainCache = new Map<string, DomainName & { readonly error?: string }>();
/** The same, without the error key, shared by the addresses of one valid domain. */
const domainWithoutError = new WeakMap<DomainName, DomainName>();

function parseDomainUncached(input: string): DomainName & { readonly error?: string } {
  const display = input;
  const trimmed = input.endsWith('.') ? input.slice(0, -1) : input;
  const fail = (error: string): DomainName & { error: string } => ({ display, ascii: '', unicode: input, error });
  if (trimmed.length === 0) return fail('is empty');
  if (/[\s@[\]]/.test(trimmed)) return fail('contains a space, "@" or a bracket');
  const ascii = domainToASCII(trimmed);
  if (!ascii) return fail('is not a valid domain name (UTS #46)');
  if (ascii.length > 253) return fail('is longer than 253 characters');
  const labels = ascii.split('.');
  if (labels.length < 2) return fail('needs at least two labels, e.g. "example.com"');
  for (const l of labels) {
    if (l === '') return fail('has an empty label (two dots in a row, or a leading dot)');
    if (!LABEL.test(l)) return fail(`has an invalid label ${JSON.stringify(l)} (letters, digits and "-", at most 63)`);
  }
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return fail('ends in a numeric label (an IP address is not a domain)');
  return { display, ascii, unicode: domainToUnicode(ascii) || ascii };
}

/** Splits an address at its last unquoted `@`. */
function splitAddress(s: string): [string, string] | undefined {
  // without a quote every "@" is unquoted: the last one splits (the common case, no scan)
  if (!s.includes('"')) {
    const at = s.lastIndexOf('@');
    return at <= 0 || at === s.length - 1 ? undefined : [s.slice(0, at), s.slice(at + 1)];
  }
  let inQuote = false;
  let at = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && inQuote) {
      i++;
      continue;
    }
    if (c === '"') inQuote = !inQuote;
    else if (c === '@' && !inQuote) at = i;
  }
  if (at <= 0 || at === s.length - 1) return undefined;
  return [s.slice(0, at), s.slice(at + 1)];
}

/** Why a local part is not RFC 5321/6531 syntax, or undefined when it is valid. */
export function localPartError(local: string): string | undefined {
  // a UTF-16 code unit is at most 3 UTF-8 octets: up to 21 of them cannot exceed 64 octets
  if (local.length > 21 && encoder.encode(local).length > 64) return 'has a local part longer than 64 octets (RFC 5321 4.5.3.1.1)';
  if (local.startsWith('"')) {
    if (!/^"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\u{10FFFF}]|\\[\x20-\x7e])*"$/u.test(local)) return 'has an invalid quoted local part';
    return undefined;
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return 'has a local part with a leading, trailing or double dot';
  // the dots are single and inside, so every atom is non-empty: one test of the whole
  // local part (atext and ".") is the same as one test per atom
  if (!DOT_ATOM.test(local)) return 'has a character not allowed in a local part (quote it, or remove spaces and specials)';
  return undefined;
}

/** Parses a mail address (no display name, no angle brackets). */
export function parseAddress(input: string): Address {
  const display = input;
  const parts = splitAddress(input);
  if (!parts) {
    return { display, local: input, domain: { display: '', ascii: '', unicode: '' }, key: '', error: 'is not of the form local@domain' };
  }
  const [local, domainText] = parts;
  if (domainText.startsWith('[')) {
    return { display, local, domain: { display: domainText, ascii: '', unicode: domainText }, key: '', error: 'uses an address literal; use a domain name' };
  }
  const domain = parseDomain(domainText);
  const lErr = localPartError(local);
  const error = lErr ?? (domain.error ? `has a domain that ${domain.error}` : undefined);
  let dom = domainWithoutError.get(domain);
  if (!dom) {
    const { error: _ignored, ...rest } = domain;
    domainWithoutError.set(domain, (dom = Object.freeze(rest)));
  }
  // two literals, not a spread of `error ? { error } : {}`: that built and copied a second
  // object per address (100,000 per mailbox file); same keys in the same order
  if (error) return { display, local, domain: dom, key: '', error };
  return {
    display,
    local,
    domain: dom,
    // an address already in comparison form (lower-case ASCII, an A-label domain) is its own
    // key, as in resolve.ts recipientKey: no second string per mailbox to build and hash
    key: domain.ascii === domainText && isFolded(input) ? input : comparisonKey(local, domain.ascii),
  };
}

/**
 * `local@domain` case-folded as Postfix folds table keys (casefold.ts: Unicode full case
 * folding, so `Straße@` and `STRASSE@` are one recipient; ASCII is lower case; the domain is
 * an A-label, already lower case). Folded as one
 * string, not joined after lowering the local part: a joined string is a rope (V8's
 * ConsString), and every map of the linter, the compiled tables and the routing engine
 * compares keys; a flat key made the routing engine's first lookups of 100,000 addresses
 * read from a file several times faster.
 */
export function comparisonKey(local: string, asciiDomain: string): string {
  return foldCase(`${local}@${asciiDomain}`);
}

/** The comparison key of an address, or '' when invalid. Fast path for mailbox files. */
export function addressKey(input: string): string {
  return parseAddress(input).key;
}

/**
 * Parses a host specification: `name`, `[name-or-ip]` (no MX lookup), `name:port`,
 * `[ip]:port`. IPv6 must be bracketed (`[IPv6:...]` is also accepted).
 */
export function parseHost(raw: string): HostSpec {
  const fail = (error: string): HostSpec => ({ raw, host: raw, bracketed: false, isIp: false, error });
  let rest = raw.trim();
  if (rest !== raw) return fail('has leading or trailing spaces');
  let bracketed = false;
  let port: number | undefined;
  let host: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return fail('has "[" without "]"');
    bracketed = true;
    host = rest.slice(1, close);
    rest = rest.slice(close + 1);
    if (rest.length > 0) {
      if (!/^:\d{1,5}$/.test(rest)) return fail('has something other than ":port" after "]"');
      port = Number(rest.slice(1));
    }
    if (host.toLowerCase().startsWith('ipv6:')) host = host.slice(5);
  } else if (isIP(rest) === 6) {
    host = rest;
  } else {
    const m = /^(.*?)(?::(\d{1,5}))?$/.exec(rest);
    host = m?.[1] ?? rest;
    if (m?.[2] !== undefined) port = Number(m[2]);
  }
  if (port !== undefined && (port < 1 || port > 65535)) return fail('has a port outside 1-65535');
  const ipVersion = isIP(host);
  if (ipVersion !== 0) {
    return { raw, host: host.toLowerCase(), bracketed, isIp: true, ...(port !== undefined ? { port } : {}) };
  }
  const d = parseDomain(host);
  if (d.error) return fail(`has a host name that ${d.error}`);
  return { raw, host: d.ascii, bracketed, isIp: false, ...(port !== undefined ? { port } : {}) };
}
