import type { Resolver } from 'node:dns/promises';
import type { MxRecord } from 'node:dns';
import { isIP } from 'node:net';
import { ProbeConnectionError } from './smtp-client.js';

/**
 * Where a client connects for a system's host, found as an SMTP client finds it: through
 * DNS (Postfix smtp_host_lookup = dns, its default), with the resolver `--resolver` names
 * or the system's. Nothing else of the probe looks a name up.
 */

export interface ClientHost {
  readonly address: string;
  /** How it was found, for the report: "MX 10 mx1.example.com", "A (no MX)", "A". */
  readonly via?: string;
}

const dnsCode = (e: unknown): string => (e as NodeJS.ErrnoException | undefined)?.code ?? (e instanceof Error ? e.message : String(e));
const absent = (code: string): boolean => code === 'ENODATA' || code === 'ENOTFOUND';

/**
 * `mx`: RFC 5321 section 5.1: the MX records in preference order, the first exchange that
 * has an address; no MX at all: the name itself (the implicit MX). A null MX (RFC 7505
 * section 3: one record, ".") says the domain takes no mail. Without `mx` (a bracketed host)
 * only the address of the name. Every failure is a ProbeConnectionError of kind "resolve".
 */
export async function clientHost(host: string, mx: boolean, resolver: Resolver): Promise<ClientHost> {
  if (isIP(host) !== 0) return { address: host };
  if (!mx) return { address: await addressOf(host, resolver, `${host} has no A or AAAA record`), via: 'A' };
  let records: MxRecord[];
  try {
    records = await resolver.resolveMx(host);
  } catch (e) {
    const code = dnsCode(e);
    if (code === 'ENOTFOUND') throw fail(`${host} does not resolve: no such name (NXDOMAIN)`);
    if (code !== 'ENODATA') throw fail(`MX lookup of ${host} failed: ${code}`);
    records = [];
  }
  if (records.length === 1 && records[0]?.exchange === '') throw fail(`${host} has a null MX (RFC 7505): it accepts no mail`);
  const sorted = records.filter((r) => r.exchange !== '').sort((a, b) => a.priority - b.priority || (a.exchange < b.exchange ? -1 : 1));
  if (sorted.length === 0) return { address: await addressOf(host, resolver, `${host} does not resolve: no MX, A or AAAA record`), via: 'A (no MX)' };
  const misses: string[] = [];
  for (const r of sorted) {
    try {
      return { address: await addressOf(r.exchange, resolver, `${r.exchange} has no A or AAAA record`), via: `MX ${r.priority} ${r.exchange}` };
    } catch (e) {
      misses.push(e instanceof Error ? e.message : String(e));
    }
  }
  throw fail(`no MX host of ${host} has an address: ${misses.join('; ')}`);
}

/** The first IPv4 address of `name`, else its first IPv6 address; `missing` is the error when it has neither. */
async function addressOf(name: string, resolver: Resolver, missing: string): Promise<string> {
  for (const family of ['resolve4', 'resolve6'] as const) {
    try {
      const list = await resolver[family](name);
      if (list[0] !== undefined) return list[0];
    } catch (e) {
      const code = dnsCode(e);
      if (!absent(code)) throw fail(`address lookup of ${name} failed: ${code}`);
    }
  }
  throw fail(missing);
}

function fail(message: string): ProbeConnectionError {
  return new ProbeConnectionError(message, 'resolve');
}
