import { lookup, resolveMx } from 'node:dns/promises';
import type { RoutingTable } from '../routing/table.js';
import { classify, type Verdict } from './classify.js';
import { predictRcpt, type Prediction } from './predict.js';
import type { Probe } from './probe-set.js';
import { ProbeConnection, ProbeConnectionError, type SmtpReply } from './smtp-client.js';

/**
 * Runs the probes of every system: one SMTP transaction per batch of recipients
 * (EHLO once per connection, MAIL FROM:<>, RCPT TO..., RSET, QUIT), batches spread over
 * `concurrency` connections, RCPT commands paced at `rate` per second.
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
   * A normal sender for systems that refuse the null sender at MAIL (some gateways do, against
   * RFC 5321 section 4.5.5): the batch is tried again with it. Without it such a batch is
   * inconclusive.
   */
  readonly sender?: string;
}

export interface SystemTarget {
  readonly table: RoutingTable;
  /** Where to connect: the system's host (after MX/A) or a --host override. */
  readonly host: string;
  readonly port: number;
  /** Whether `host` is a name to look up as a client would (MX, then A). */
  readonly mx: boolean;
  readonly probes: readonly Probe[];
}

export interface ProbeResult {
  readonly probe: Probe;
  readonly predicted: Prediction;
  /** undefined when the probe was not sent (the connection failed, a 421, no SMTPUTF8). */
  readonly observed?: SmtpReply;
  readonly verdict: Verdict;
  /** Why no reply was observed. */
  readonly note?: string;
}

export interface SystemReport {
  readonly system: string;
  readonly address: string;
  readonly results: readonly ProbeResult[];
  /** Set when the system could not be reached at all (exit 2). */
  readonly failure?: { readonly kind: ProbeConnectionError['kind']; readonly message: string };
  readonly tls: boolean;
}

/** A shared pace: each RCPT waits for its slot, so a production gateway is never flooded. */
class Pace {
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
  const reports = new Map<string, { results: ProbeResult[]; failure?: SystemReport['failure']; tls: boolean; address: string; closed?: string }>();
  const jobs: { target: SystemTarget; batch: Probe[] }[] = [];
  for (const t of targets) {
    reports.set(t.table.system, { results: [], tls: false, address: `${t.host}:${t.port}` });
    // ASCII and SMTPUTF8 recipients go in separate transactions (the MAIL parameter differs)
    for (const utf8 of [false, true]) {
      const list = t.probes.filter((p) => p.utf8 === utf8);
      for (let i = 0; i < list.length; i += options.perTransaction) jobs.push({ target: t, batch: list.slice(i, i + options.perTransaction) });
    }
  }
  const hosts = new Map<string, Promise<string>>();
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
      if (!host) hosts.set(target.table.system, (host = clientHost(target)));
      let conn: ProbeConnection;
      try {
        const h = await host;
        rep.address = `${h}:${target.port}`;
        conn = await ProbeConnection.open({ host: h, port: target.port, timeout: options.timeout, helo: options.helo, starttls: options.starttls });
      } catch (e) {
        const err = e instanceof ProbeConnectionError ? e : new ProbeConnectionError(e instanceof Error ? e.message : String(e), 'connect');
        if (err.kind === 'closed' && /^421|^554/.test(err.message.replace(/^greeting /, ''))) rep.closed = `not sent: ${err.message}`;
        else if (!rep.failure) rep.failure = { kind: err.kind, message: err.message };
        rep.results.push(...batch.map((p) => unsent(target.table, p, `not sent: ${err.message}`)));
        continue;
      }
      rep.tls ||= conn.tls;
      try {
        rep.results.push(...(await transaction(conn, target.table, batch, pace, options.sender)));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        rep.results.push(...batch.filter((p) => !rep.results.some((r) => r.probe === p)).map((p) => unsent(target.table, p, `no reply: ${message}`)));
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
    return { system: t.table.system, address: r?.address ?? '', results, tls: r?.tls ?? false, ...(r?.failure ? { failure: r.failure } : {}) };
  });
}

/** One transaction: MAIL FROM:<>, the RCPTs, RSET. Never DATA, never BDAT. */
async function transaction(conn: ProbeConnection, table: RoutingTable, batch: readonly Probe[], pace: Pace, sender: string | undefined): Promise<ProbeResult[]> {
  const utf8 = batch.some((p) => p.utf8);
  if (utf8 && !conn.extensions.has('SMTPUTF8')) return batch.map((p) => unsent(table, p, 'not sent: the server does not offer SMTPUTF8'));
  // the null reverse-path, as a bounce would carry (RFC 5321 section 4.5.5): nothing can come back
  const mail = (from: string): string => `MAIL FROM:<${from}>${utf8 ? ' SMTPUTF8' : ''}`;
  const rcpts = batch.map((p) => `RCPT TO:<${p.address}>`);
  await pace.take(batch.length);
  let replies = await conn.commands([mail(''), ...rcpts, 'RSET']);
  if (sender !== undefined && replies[0] && Math.floor(replies[0].code / 100) === 5) {
    await pace.take(batch.length);
    replies = await conn.commands([mail(sender), ...rcpts, 'RSET']);
  }
  const mailReply = replies[0];
  return batch.map((p, i) => {
    const predicted = predictRcpt(table, p.address);
    const observed = replies[i + 1];
    if (!mailReply || Math.floor(mailReply.code / 100) !== 2) return { probe: p, predicted, verdict: 'inconclusive', note: `MAIL FROM refused: ${mailReply ? `${mailReply.code} ${mailReply.text}` : 'no reply'}` };
    if (!observed) return unsent(table, p, 'not sent: the server closed the connection');
    return { probe: p, predicted, observed, verdict: classify(predicted, observed) };
  });
}

function unsent(table: RoutingTable, probe: Probe, note: string): ProbeResult {
  return { probe, predicted: predictRcpt(table, probe.address), verdict: 'inconclusive', note };
}

/** The host a client would connect to: the name's best MX (RFC 5321 section 5.1), else its address. */
async function clientHost(t: SystemTarget): Promise<string> {
  if (!t.mx) return t.host;
  try {
    const mx = (await resolveMx(t.host)).sort((a, b) => a.priority - b.priority)[0];
    if (mx && mx.exchange !== '') return (await lookup(mx.exchange)).address;
  } catch {
    // no MX: the implicit MX is the name itself (RFC 5321 section 5.1)
  }
  return (await lookup(t.host)).address;
}
