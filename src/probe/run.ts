import { Resolver } from 'node:dns/promises';
import type { Target } from '../diagnostics/diagnostic.js';
import type { RoutingTable } from '../routing/table.js';
import { clientHost, type ClientHost } from './client-host.js';
import type { Probe } from './probe-set.js';
import { ProbeConnection, ProbeConnectionError, type SmtpReply } from './smtp-client.js';
import { probeBatch, unsent, type Pacer, type ProbeResult, type SenderState } from './transaction.js';

export type { ProbeResult } from './transaction.js';

/**
 * Runs the probes of every system: one connection per batch of recipients (EHLO, then
 * MAIL FROM:<>, RCPT TO..., RSET in as many transactions as the server's limits need, QUIT),
 * batches spread over `concurrency` connections, RCPT commands paced at `rate` per second.
 */

export interface ProbeOptions {
  readonly concurrency: number;
  /** RCPT commands per second over the whole run; 0: unpaced. */
  readonly rate: number;
  /** Milliseconds for every read. */
  readonly timeout: number;
  readonly helo: string;
  readonly starttls: 'auto' | 'never' | 'require';
  /**
   * Recipients per transaction. RFC 5321 section 4.5.3.1.8: a server must accept at least
   * 100; 20 stays far below every server's limit (Postfix smtpd_recipient_limit 1000).
   */
  readonly perTransaction: number;
  /**
   * The normal sender for systems that treat the null sender differently (the file's
   * `nullSender: refuse`, or a 5xx to MAIL FROM:<>; RFC 5321 section 4.5.5 says they must not).
   */
  readonly sender: string;
  /** The DNS server for MX and A lookups (`--resolver`, "127.0.0.1:5353"); default the system's. */
  readonly resolver?: string;
}

export interface SystemTarget {
  readonly table: RoutingTable;
  /** Where to connect: the system's host (after MX/A) or a --host override. */
  readonly host: string;
  readonly port: number;
  /** Whether `host` is a name to look up as a client would (MX, then A). */
  readonly mx: boolean;
  readonly probes: readonly Probe[];
  /** The file says the system refuses or treats the null sender differently (`nullSender: refuse`). */
  readonly refusesNullSender: boolean;
  /** The system's key in the file: where what concerns the whole system is reported. */
  readonly at: Target;
}

export interface SystemReport {
  readonly system: string;
  readonly at: Target;
  readonly address: string;
  readonly results: readonly ProbeResult[];
  /** Set when the system could not be reached at all (exit 2). */
  readonly failure?: { readonly kind: ProbeConnectionError['kind']; readonly message: string };
  readonly tls: boolean;
  /** How the host name was found (MX or A), when it was looked up. */
  readonly via?: string;
  /** The null sender: what the system did with MAIL FROM:<>, and the normal sender used instead. */
  readonly nullSender: { readonly treatment: 'accepted' | 'declared' | 'refused'; readonly reply?: SmtpReply; readonly sender: string };
}

/** A shared pace: each RCPT waits for its slot, so a production gateway is never flooded. */
export class Pace implements Pacer {
  private next = 0;
  constructor(private readonly rate: number) {}
  async take(n: number): Promise<void> {
    if (this.rate <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + (n * 1000) / this.rate;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}

export async function runProbes(targets: readonly SystemTarget[], options: ProbeOptions): Promise<SystemReport[]> {
  const pace = new Pace(options.rate);
  const reports = new Map<string, { results: ProbeResult[]; failure?: SystemReport['failure']; tls: boolean; address: string; closed?: string; via?: string; sender: SenderState }>();
  const resolver = new Resolver({ timeout: options.timeout, tries: 2 });
  if (options.resolver !== undefined) resolver.setServers([options.resolver]);
  const jobs: { target: SystemTarget; batch: Probe[] }[] = [];
  for (const t of targets) {
    reports.set(t.table.system, { results: [], tls: false, address: `${t.host}:${t.port}`, sender: { normal: options.sender, declared: t.refusesNullSender } });
    // ASCII and SMTPUTF8 recipients go in separate transactions (the MAIL parameter differs)
    for (const utf8 of [false, true]) {
      const list = t.probes.filter((p) => p.utf8 === utf8);
      for (let i = 0; i < list.length; i += options.perTransaction) jobs.push({ target: t, batch: list.slice(i, i + options.perTransaction) });
    }
  }
  const hosts = new Map<string, Promise<ClientHost>>();
  const worker = async (): Promise<void> => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const { target, batch } = job;
      const rep = reports.get(target.table.system);
      if (!rep) continue;
      const skip = rep.failure ? 'not sent: the system could not be reached' : rep.closed;
      if (skip) {
        rep.results.push(...batch.map((p) => unsent(target.table, p, skip)));
        continue;
      }
      let host = hosts.get(target.table.system);
      if (!host) hosts.set(target.table.system, (host = clientHost(target.host, target.mx, resolver)));
      let conn: ProbeConnection;
      try {
        const h = await host;
        rep.address = `${h.address}:${target.port}`;
        if (h.via !== undefined) rep.via = `${target.host} ${h.via}`;
        conn = await ProbeConnection.open({ host: h.address, port: target.port, timeout: options.timeout, helo: options.helo, starttls: options.starttls });
      } catch (e) {
        const err = e instanceof ProbeConnectionError ? e : new ProbeConnectionError(e instanceof Error ? e.message : String(e), 'connect');
        if (err.kind === 'closed' && /^421|^554/.test(err.message.replace(/^greeting /, ''))) rep.closed = `not sent: ${err.message}`;
        else if (!rep.failure) rep.failure = { kind: err.kind, message: err.message };
        rep.results.push(...batch.map((p) => unsent(target.table, p, `not sent: ${err.message}`)));
        continue;
      }
      rep.tls ||= conn.tls;
      try {
        rep.results.push(...(await probeBatch(conn, target.table, batch, pace, rep.sender)));
      } finally {
        await conn.quit();
      }
      if (rep.results.some((r) => r.observed?.code === 421)) rep.closed = 'not sent: the server said 421 (service closing)';
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return targets.map((t) => {
    const r = reports.get(t.table.system);
    const order = new Map(t.probes.map((p, i) => [p, i]));
    const results = [...(r?.results ?? [])].sort((a, b) => (order.get(a.probe) ?? 0) - (order.get(b.probe) ?? 0));
    const sender = r?.sender ?? { normal: options.sender, declared: t.refusesNullSender };
    const treatment = sender.declared ? 'declared' : sender.refused ? 'refused' : 'accepted';
    const nullSender = { treatment, sender: sender.normal, ...(sender.refused ? { reply: sender.refused } : {}) } as const;
    return { system: t.table.system, at: t.at, address: r?.address ?? '', results, tls: r?.tls ?? false, nullSender, ...(r?.via !== undefined ? { via: r.via } : {}), ...(r?.failure ? { failure: r.failure } : {}) };
  });
}
