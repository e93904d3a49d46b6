import type { Resolver } from 'node:dns/promises';
import type { DomainRecords } from '../dns/records.js';
import { lookupTarget, spfTerms } from '../dns/spf-terms.js';

/**
 * `chainmail dns-check`: what the DNS really publishes for each domain, compared with the
 * records the model builds (the dns target's), through one resolver given on the command
 * line. It compares; it never evaluates SPF for an address (that is the receiver's job).
 */

/** The outcome of one comparison. */
export type CheckStatus = 'ok' | 'drift' | 'missing' | 'error';

export interface RecordCheck {
  readonly record: 'mx' | 'spf' | 'dmarc' | 'spf-lookups';
  readonly status: CheckStatus;
  /** What the model builds (absent for spf-lookups). */
  readonly model?: string;
  /** What the resolver answered, as one line; absent when nothing is published. */
  readonly published?: string;
  readonly message: string;
}

export interface DomainCheck {
  readonly domain: string;
  readonly checks: readonly RecordCheck[];
}

/** RFC 7208 4.6.4: 10 querying terms, 2 void lookups. */
const LOOKUP_LIMIT = 10;
const VOID_LIMIT = 2;
/** A bound on the queries of one lookup count, whatever the records (loops, huge trees). */
const MAX_QUERIES = 50;
const NONE = new Set(['ENOTFOUND', 'ENODATA']);

/** Checks every domain, one after the other (a resolver given by the user; no flood). */
export async function dnsCheck(records: readonly DomainRecords[], resolver: Resolver): Promise<DomainCheck[]> {
  const out: DomainCheck[] = [];
  for (const r of records) out.push({ domain: r.domain, checks: await checkDomain(r, resolver) });
  return out;
}

async function checkDomain(r: DomainRecords, resolver: Resolver): Promise<RecordCheck[]> {
  const checks: RecordCheck[] = [];
  // MX: the same set of (preference, host), compared case-insensitively without the root dot
  const mx = await ask(() => resolver.resolveMx(r.domain));
  const modelMx = r.mx.map((m) => `${m.preference} ${m.host}`).sort();
  if (mx.error) checks.push({ record: 'mx', status: 'error', model: modelMx.join(', '), message: `the resolver answered ${mx.error}` });
  else {
    const got = (mx.value ?? []).map((m) => `${m.priority} ${m.exchange.replace(/\.$/, '').toLowerCase()}`).sort();
    checks.push(compareLists('mx', modelMx, got));
  }
  // SPF and DMARC: the TXT records that start with their version tag (RFC 7208 4.5, RFC 7489 6.6.3)
  const txt = await ask(() => resolver.resolveTxt(r.domain));
  const spf = txt.error ? undefined : (txt.value ?? []).map((chunks) => chunks.join('')).filter((t) => /^v=spf1(?: |$)/i.test(t));
  if (!spf) checks.push({ record: 'spf', status: 'error', model: r.spf, message: `the resolver answered ${txt.error ?? ''}` });
  else if (spf.length === 0) checks.push({ record: 'spf', status: 'missing', model: r.spf, message: 'no SPF record is published' });
  else if (spf.length > 1) checks.push({ record: 'spf', status: 'drift', model: r.spf, published: spf.join(' | '), message: `${spf.length} SPF records are published: receivers return permerror (RFC 7208 4.5)` });
  else checks.push(compareSpf(r.spf, spf[0] ?? ''));
  if (spf?.length === 1 && spf[0] !== undefined) checks.push(await countLookups(r.domain, spf[0], resolver));
  if (r.dmarc !== undefined) {
    const d = await ask(() => resolver.resolveTxt(`_dmarc.${r.domain}`));
    const dmarc = d.error ? undefined : (d.value ?? []).map((c) => c.join('')).filter((t) => /^v=DMARC1\s*(?:;|$)/i.test(t));
    if (!dmarc) checks.push({ record: 'dmarc', status: 'error', model: r.dmarc, message: `the resolver answered ${d.error ?? ''}` });
    else if (dmarc.length !== 1) checks.push({ record: 'dmarc', status: dmarc.length === 0 ? 'missing' : 'drift', model: r.dmarc, ...(dmarc.length > 0 ? { published: dmarc.join(' | ') } : {}), message: dmarc.length === 0 ? 'no DMARC record is published' : `${dmarc.length} DMARC records are published: receivers ignore them all (RFC 7489 6.6.3)` });
    else {
      const same = tags(dmarc[0] ?? '') === tags(r.dmarc);
      checks.push({ record: 'dmarc', status: same ? 'ok' : 'drift', model: r.dmarc, published: dmarc[0] ?? '', message: same ? 'as the model wants' : 'the published DMARC record differs from the model' });
    }
  }
  return checks;
}

function compareLists(record: 'mx', model: readonly string[], got: readonly string[]): RecordCheck {
  const published = got.join(', ');
  if (got.length === 0) return { record, status: model.length === 0 ? 'ok' : 'missing', model: model.join(', '), message: model.length === 0 ? 'none, as the model has none' : 'no MX is published' };
  const missing = model.filter((m) => !got.includes(m));
  const extra = got.filter((m) => !model.includes(m));
  if (missing.length === 0 && extra.length === 0) return { record, status: 'ok', model: model.join(', '), published, message: 'as the model builds it' };
  const parts = [missing.length > 0 ? `not published: ${missing.join(', ')}` : '', extra.length > 0 ? `not in the model: ${extra.join(', ')}` : ''].filter(Boolean);
  return { record, status: 'drift', model: model.join(', '), published, message: parts.join('; ') };
}

/** Same terms (case-insensitive, any order, a `+` qualifier is the default), else what differs. */
function compareSpf(model: string, published: string): RecordCheck {
  const norm = (r: string): string[] => (spfTerms(r) ?? []).map((t) => t.text.replace(/^\+/, '').toLowerCase());
  const want = norm(model);
  const got = norm(published);
  const missing = want.filter((t) => !got.includes(t));
  const extra = got.filter((t) => !want.includes(t));
  if (missing.length === 0 && extra.length === 0) return { record: 'spf', status: 'ok', model, published, message: 'as the model builds it' };
  const parts = [missing.length > 0 ? `not published: ${missing.join(' ')}` : '', extra.length > 0 ? `not in the model: ${extra.join(' ')}` : ''].filter(Boolean);
  return { record: 'spf', status: 'drift', model, published, message: parts.join('; ') };
}

/** DMARC tags as a comparable string: lower-case names, values trimmed, sorted. */
function tags(record: string): string {
  return record
    .split(';')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const i = t.indexOf('=');
      return i < 0 ? t.toLowerCase() : `${t.slice(0, i).trim().toLowerCase()}=${t.slice(i + 1).trim().toLowerCase()}`;
    })
    .sort()
    .join(';');
}

/**
 * Counts the querying terms (RFC 7208 4.6.4) of the published record and of the records its
 * include: and redirect= name, and the void lookups among them (a name with no record of
 * the type asked). A count, not an evaluation: no address is checked against anything.
 */
async function countLookups(domain: string, record: string, resolver: Resolver): Promise<RecordCheck> {
  let lookups = 0;
  let voids = 0;
  let queries = 0;
  const voidNames: string[] = [];
  const walk = async (owner: string, text: string, depth: number): Promise<void> => {
    for (const t of spfTerms(text) ?? []) {
      if (!t.lookup || queries >= MAX_QUERIES) continue;
      lookups++;
      const target = lookupTarget(t, owner);
      // macros (%{i}) depend on the client: not looked up here
      if (target.includes('%')) continue;
      queries++;
      if (t.name === 'include' || t.name === 'redirect') {
        const r = await ask(() => resolver.resolveTxt(target));
        const inner = (r.value ?? []).map((c) => c.join('')).find((x) => /^v=spf1(?: |$)/i.test(x));
        if (r.empty || (!r.error && inner === undefined)) {
          voids++;
          voidNames.push(t.text);
        } else if (inner !== undefined && depth < 10) await walk(target, inner, depth + 1);
      } else if (t.name === 'a' || t.name === 'mx') {
        const r = t.name === 'mx' ? await ask(() => resolver.resolveMx(target)) : await askAddress(resolver, target);
        if (r.empty) {
          voids++;
          voidNames.push(t.text);
        }
      }
    }
  };
  await walk(domain, record, 0);
  const over = lookups > LOOKUP_LIMIT || voids > VOID_LIMIT;
  const message = `${lookups} DNS lookup${lookups === 1 ? '' : 's'} (limit ${LOOKUP_LIMIT}), ${voids} void (limit ${VOID_LIMIT})${voidNames.length > 0 ? `: ${voidNames.join(' ')}` : ''}${over ? ': receivers return permerror (RFC 7208 4.6.4)' : ''}`;
  return { record: 'spf-lookups', status: over ? 'drift' : 'ok', message };
}

interface Answer<T> {
  readonly value?: T;
  /** NXDOMAIN or no data: a void lookup. */
  readonly empty: boolean;
  /** Any other failure (timeout, refused, SERVFAIL). */
  readonly error?: string;
}

async function ask<T>(query: () => Promise<T>): Promise<Answer<T>> {
  try {
    return { value: await query(), empty: false };
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'an error';
    return NONE.has(code) ? { empty: true } : { empty: false, error: code };
  }
}

/** A or AAAA: void only when both are empty (as receivers count it). */
async function askAddress(resolver: Resolver, name: string): Promise<Answer<string[]>> {
  const a = await ask(() => resolver.resolve4(name));
  if (!a.empty) return a;
  return ask(() => resolver.resolve6(name));
}
