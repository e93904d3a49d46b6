import { parseAddress, parseDomain } from '../../normalize/address.js';

// One "@" after an unquoted ASCII local part of letters, digits, "_", "+" and "-" with single
// inner dots: a subset of RFC 5321's Dot-string that parseAddress() accepts as it is.
const SIMPLE = /^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[^@]+$/;

/**
 * parseAddress(address).key, without its Address object for the common address: a simple
 * ASCII local part of at most 64 octets (RFC 5321 section 4.5.3.1.1) and a domain that
 * parseDomain() (cached per domain) accepts. Anything else, and every invalid address, goes
 * to parseAddress(), whose error is then returned. The same keys: ASCII folds to lower case
 * (casefold.ts), and the domain's A-label is already lower case.
 */
export function addressKey(address: string): string | { readonly error: string } {
  const at = address.lastIndexOf('@');
  if (at <= 64 && SIMPLE.test(address)) {
    const domainText = address.slice(at + 1);
    const domain = parseDomain(domainText);
    if (domain.error === undefined) return domain.ascii === domainText ? address.toLowerCase() : `${address.slice(0, at)}@${domain.ascii}`.toLowerCase();
  }
  const a = parseAddress(address);
  return a.error !== undefined ? { error: a.error } : a.key;
}
