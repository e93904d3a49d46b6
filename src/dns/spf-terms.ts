/**
 * The terms of an SPF record (RFC 7208 4.6.1, 5, 6), split for counting and comparing, not
 * for evaluating: pass or fail is decided by the receiver (and in chainmail's tests by the
 * mailauth library against a real named), never here.
 */

/** The mechanisms and modifiers that cause DNS queries, limited to 10 per check (RFC 7208 4.6.4). */
const QUERYING = new Set(['include', 'a', 'mx', 'ptr', 'exists', 'redirect']);

/** One term of a record: a mechanism (`-include:x`) or a modifier (`redirect=x`). */
export interface SpfTerm {
  readonly text: string;
  readonly qualifier: '+' | '-' | '~' | '?' | '';
  /** Lower-case mechanism or modifier name: `ip4`, `include`, `all`, `redirect`, ... */
  readonly name: string;
  /** The domain-spec or address after `:` or `=`, without a `/cidr`; '' when absent. */
  readonly argument: string;
  readonly modifier: boolean;
  /** Whether evaluating the term costs a DNS query (RFC 7208 4.6.4). */
  readonly lookup: boolean;
}

/** The terms of a record after `v=spf1`, or undefined when it is not an SPF record. */
export function spfTerms(record: string): SpfTerm[] | undefined {
  const words = record.trim().split(/ +/);
  if ((words[0] ?? '').toLowerCase() !== 'v=spf1') return undefined;
  return words.slice(1).filter(Boolean).map(term);
}

function term(text: string): SpfTerm {
  const m = /^([+\-~?]?)([A-Za-z][A-Za-z0-9_.-]*)(?:([:=])([^/]*))?/.exec(text);
  const qualifier = (m?.[1] ?? '') as SpfTerm['qualifier'];
  const name = (m?.[2] ?? text).toLowerCase();
  const modifier = m?.[3] === '=';
  const argument = m?.[4] ?? '';
  return { text, qualifier, name, argument, modifier, lookup: QUERYING.has(name) };
}

/** The domain a querying term looks up (its argument, else the record's own domain). */
export function lookupTarget(t: SpfTerm, domain: string): string {
  const target = t.argument === '' ? domain : t.argument;
  return target.replace(/\.$/, '').toLowerCase();
}

/**
 * Special-use names that never exist in the public DNS (RFC 6761 6.2-6.5, RFC 6762 mDNS
 * `.local`, RFC 8375 `home.arpa`, ICANN's `.internal`): a query for them is always void.
 */
export function neverInPublicDns(name: string): boolean {
  return /(?:^|\.)(?:local|localhost|invalid|test|example|internal|home\.arpa)$/i.test(name.replace(/\.$/, ''));
}
