import { isIP } from 'node:net';
import { Client, FilterParser, InvalidCredentialsError, NoSuchObjectError, ResultCodeError, SizeLimitExceededError, type Entry } from 'ldapts';
import { decodeSearchEntries, type DirectoryEntry, type EntryFields } from './search-entry.js';

export type { DirectoryEntry } from './search-entry.js';

/** What to read from the directory: everything `import ldap` needs, the password resolved. */
export interface DirectoryQuery {
  /** `ldap://host[:port]` or `ldaps://host[:port]`. */
  readonly url: string;
  readonly baseDn: string;
  readonly filter: string;
  readonly addressAttribute: string;
  readonly targetAttribute: string;
  readonly bindDn?: string;
  /** Held only in memory: never echoed, logged or written. */
  readonly password?: string;
  /** PEM CA certificate(s) for ldaps:// and StartTLS. */
  readonly ca?: string;
  readonly startTls: boolean;
  /** Entries per page of the simple paged results control (RFC 2696); AD's MaxPageSize is 1,000. */
  readonly pageSize: number;
}

/** A failure that ends the import: one line, exit 2, nothing written. */
export class DirectoryError extends Error {}

export const DEFAULT_FILTER = '(proxyAddresses=smtp:*)';

/**
 * Reads the recipients with one subtree search that uses the simple paged results control
 * (RFC 2696): Active Directory returns at most MaxPageSize (1,000) entries per request, and
 * an unpaged search of a larger directory ends with sizeLimitExceeded. Each page is reduced
 * to the few attributes kept (`onEntry`), so memory holds the recipients, not the LDAP
 * messages.
 */
export async function readDirectory(q: DirectoryQuery, onEntry: (e: DirectoryEntry) => void): Promise<number> {
  try {
    FilterParser.parseString(q.filter);
  } catch (e) {
    throw new DirectoryError(`the filter ${JSON.stringify(q.filter)} is not an RFC 4515 filter (${scrub(errorText(e), q)}); fix --filter`);
  }
  const tlsOptions = q.ca !== undefined ? { ca: [q.ca] } : {};
  // tlsOptions only for ldaps://: given for ldap://, ldapts 8 breaks the later StartTLS upgrade
  const client = new Client({ url: q.url, connectTimeout: 10_000, timeout: 120_000, ...(q.url.startsWith('ldaps:') ? { tlsOptions } : {}) });
  // StartTLS upgrades the open socket: tls.connect then needs the host to check the
  // certificate against (RFC 4513 section 3.1.3), and SNI only for a name, never an IP.
  const host = new URL(q.url).hostname.replace(/^\[|\]$/g, '');
  const startTlsOptions = { ...tlsOptions, host, ...(isIP(host) === 0 ? { servername: host } : {}) };
  let seen = 0;
  let stage: 'connect' | 'starttls' | 'bind' | 'search' = 'connect';
  try {
    if (q.startTls) {
      stage = 'starttls';
      await client.startTLS(startTlsOptions);
    }
    if (q.bindDn !== undefined) {
      stage = 'bind';
      await client.bind(q.bindDn, q.password ?? '');
    }
    stage = 'search';
    // by the name in lower case, and as asked for (the server's usual spelling: no lower-cased copy per attribute)
    const asked = [[q.addressAttribute, 'addresses'], [q.targetAttribute, 'target'], ...(['cn', 'mailNickname', 'givenName', 'sn', 'displayName'] as const).map((a) => [a, a] as const)] as const;
    const fields: EntryFields = new Map<string, keyof Omit<DirectoryEntry, 'dn'>>([...asked.map(([a, f]) => [a.toLowerCase(), f] as const), ...asked.map(([a, f]) => [a, f] as const)]);
    const attributes = [q.addressAttribute, q.targetAttribute, 'cn', 'mailNickname', 'givenName', 'sn', 'displayName'];
    // entries decoded straight into DirectoryEntry objects (search-entry.ts), or, with an
    // ldapts that does not let us, reduced from its own
    const decoded = decodeSearchEntries(client, fields);
    const pages = client.searchPaginated(q.baseDn, { scope: 'sub', filter: q.filter, attributes, paged: { pageSize: q.pageSize } });
    // The next page is asked for before this one is reduced: the server prepares it (on
    // another core, or another machine) while this process works, instead of the two
    // taking turns as `for await` would make them (half of the import's time was the
    // client's, half the server's). A failure of the page asked for ahead is handled
    // where it is awaited.
    let next = pages.next();
    for (;;) {
      const page = await next;
      if (page.done === true) break;
      next = pages.next();
      next.catch(() => undefined);
      for (const raw of page.value.searchEntries) {
        onEntry(decoded ? (raw as unknown as DirectoryEntry) : entryOf(raw, fields));
        seen++;
      }
    }
    return seen;
  } catch (e) {
    throw new DirectoryError(failure(e, stage, seen, q));
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** A DirectoryEntry from ldapts' own object for an entry (exported for the test that compares it with decodeEntry). */
export function entryOf(raw: Entry, wanted: EntryFields): DirectoryEntry {
  // attribute descriptions are case-insensitive (RFC 4512 section 2.5); only the few asked for come back
  const e: { -readonly [K in keyof DirectoryEntry]?: DirectoryEntry[K] } = { dn: raw.dn, addresses: [] };
  for (const name in raw) {
    const field = wanted.get(name) ?? wanted.get(name.toLowerCase());
    if (field === undefined) continue;
    const value = raw[name];
    // ldapts gives a string per value (a Buffer only when it is not UTF-8): the array as it is when all are strings
    if (field === 'addresses') e.addresses = Array.isArray(value) ? (value.every((v) => typeof v === 'string') ? (value as string[]) : value.map(text)) : [text(value)];
    else {
      const first = Array.isArray(value) ? value[0] : value;
      if (first !== undefined) e[field] = text(first);
    }
  }
  return e as DirectoryEntry;
}

function text(v: string | Buffer | undefined): string {
  return typeof v === 'string' ? v : String(v?.toString('utf8') ?? '');
}

/** The one line for a failure; it names the server and what to check, never the password. */
function failure(e: unknown, stage: string, seen: number, q: DirectoryQuery): string {
  const text = scrub(errorText(e), q);
  const code = (e as NodeJS.ErrnoException).code;
  if (/certificate|self.signed|CERT_|unable to verify|altnames/i.test(text)) return `the TLS certificate of ${q.url} is not trusted (${text}); give its CA with --ca`;
  const unreachable = typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EAI_AGAIN)$/.test(code);
  if (stage === 'connect' || stage === 'starttls' || unreachable || /connect timeout|Connection timeout/i.test(text)) {
    if (stage === 'starttls' && e instanceof ResultCodeError) return `${q.url} refused StartTLS (${text}); check that the server offers it, or use ldaps://`;
    return `cannot reach ${q.url} (${text}); check the URL and that the directory is up`;
  }
  if (e instanceof InvalidCredentialsError) return `the directory refused the bind as ${JSON.stringify(q.bindDn)} (invalid credentials); check the bind DN and the password`;
  if (stage === 'bind') return `the directory refused the bind as ${JSON.stringify(q.bindDn)} (${text}); check the bind DN and the password`;
  if (e instanceof NoSuchObjectError) return `the base DN ${JSON.stringify(q.baseDn)} does not exist on ${q.url}; check --base`;
  if (e instanceof SizeLimitExceededError)
    return `the server's size limit stopped the search after ${seen} entries although it was paged; raise the limit for paged searches (OpenLDAP size.prtotal) or narrow --filter`;
  if (e instanceof ResultCodeError) return `the directory refused the search: ${resultOf(e, text)}; check --filter and --base`;
  return `the connection to ${q.url} failed during the search after ${seen} entries (${text}); nothing was written, run the import again`;
}

/**
 * The LDAP result code by its RFC 4511 name (section 4.1.9; ldapts names its error classes
 * after them) and the server's diagnostic message, if it sent one. adminLimitExceeded is
 * what OpenLDAP answers a filter that would check too many unindexed entries (slapd.conf(5)
 * limits size.unchecked).
 */
function resultOf(e: ResultCodeError, text: string): string {
  const name = e.name.replace(/Error$/, '');
  const said = text.replace(/\s*Code: 0x[0-9a-f]+$/i, '').trim();
  const hint = e.code === 11 ? ', e.g. a filter on attributes the server does not index' : '';
  return `${name.charAt(0).toLowerCase()}${name.slice(1)} (${e.code}${said !== '' ? `: ${said}` : ''})${hint}`;
}

function errorText(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  const line = s.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/** Belt and braces: no library message may carry the password into an error line. */
function scrub(text: string, q: DirectoryQuery): string {
  return q.password ? text.split(q.password).join('***') : text;
}
