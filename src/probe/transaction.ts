import type { RoutingTable } from '../routing/table.js';
import { classify, type Verdict } from './classify.js';
import { predictRcpt, type Prediction } from './predict.js';
import type { Probe } from './probe-set.js';
import type { ProbeConnection, SmtpReply } from './smtp-client.js';

/**
 * The transactions of one batch on one connection: MAIL FROM, the RCPTs, RSET; never DATA,
 * never BDAT. Two replies make it open another transaction on the same connection:
 * a refused null sender (tried again with a normal sender) and "452 4.5.3 too many
 * recipients" (the remaining recipients go in the next transaction).
 */

export interface ProbeResult {
  readonly probe: Probe;
  readonly predicted: Prediction;
  /** undefined when the probe was not sent (the connection failed, a 421, no SMTPUTF8). */
  readonly observed?: SmtpReply;
  readonly verdict: Verdict;
  /** Why no reply was observed. */
  readonly note?: string;
}

/**
 * The reverse-path of one system's probes. The null sender first (RFC 5321 section 4.5.5:
 * what a bounce carries, so nothing can come back to anyone); a normal sender where the
 * file says the system treats the null sender differently (`nullSender: refuse`), or once
 * the system has refused MAIL FROM:<> with a 5xx (then `refused` holds that reply).
 */
export interface SenderState {
  /** The normal sender: --sender, else chainmail-probe@ the --helo name. */
  readonly normal: string;
  /** The file says the system refuses the null sender: it is never tried. */
  readonly declared: boolean;
  /** The system's 5xx to MAIL FROM:<>, the first time it came. */
  refused?: SmtpReply;
}

/** Paces RCPT commands; shared by every connection of the run. */
export interface Pacer {
  take(n: number): Promise<void>;
}

/** 452 4.5.3 (or the 552 of RFC 821, RFC 5321 section 4.5.3.1.10): the recipient limit of this transaction is reached. */
export function tooManyRecipients(r: SmtpReply): boolean {
  if (r.code !== 452 && r.code !== 552) return false;
  return r.status !== undefined ? /^[45]\.5\.3$/.test(r.status) : /too many recipients/i.test(r.text);
}

const isClass = (r: SmtpReply | undefined, c: number): boolean => r !== undefined && Math.floor(r.code / 100) === c;

/** Probes `batch` on `conn`, in as many transactions as the server's recipient limit needs. */
export async function probeBatch(conn: ProbeConnection, table: RoutingTable, batch: readonly Probe[], pace: Pacer, sender: SenderState): Promise<ProbeResult[]> {
  const utf8 = batch.some((p) => p.utf8);
  if (utf8 && !conn.extensions.has('SMTPUTF8')) return batch.map((p) => unsent(table, p, 'not sent: the server does not offer SMTPUTF8'));
  const mail = (from: string): string => `MAIL FROM:<${from}>${utf8 ? ' SMTPUTF8' : ''}`;
  const results: ProbeResult[] = [];
  let pending = [...batch];
  let limit = batch.length;
  while (pending.length > 0) {
    const chunk = pending.slice(0, limit);
    const rcpts = chunk.map((p) => `RCPT TO:<${p.address}>`);
    await pace.take(chunk.length);
    const useNull = !sender.declared && sender.refused === undefined;
    let replies: SmtpReply[];
    try {
      replies = await conn.commands([mail(useNull ? '' : sender.normal), ...rcpts, 'RSET']);
      const first = replies[0];
      if (useNull && first && isClass(first, 5)) {
        // refused against RFC 5321 section 4.5.5: reported once, and the batch tried again
        // with a normal sender so that its recipients are still compared (docs/probe.md)
        sender.refused ??= first;
        await pace.take(chunk.length);
        replies = await conn.commands([mail(sender.normal), ...rcpts, 'RSET']);
      }
    } catch (e) {
      const note = `no reply: ${e instanceof Error ? e.message : String(e)}`;
      return [...results, ...pending.map((p) => unsent(table, p, note))];
    }
    const mailReply = replies[0];
    if (!isClass(mailReply, 2)) {
      const note = `MAIL FROM refused: ${mailReply ? `${mailReply.code} ${mailReply.text}` : 'no reply'}`;
      results.push(...pending.map((p): ProbeResult => ({ probe: p, predicted: predictRcpt(table, p.address), verdict: 'inconclusive', note })));
      return results;
    }
    let taken = 0;
    for (const [i, p] of chunk.entries()) {
      const observed = replies[i + 1];
      if (observed && tooManyRecipients(observed)) break;
      taken++;
      const predicted = predictRcpt(table, p.address);
      results.push(observed ? { probe: p, predicted, observed, verdict: classify(predicted, observed) } : unsent(table, p, 'not sent: the server closed the connection'));
    }
    pending = pending.slice(taken);
    if (taken === 0 && pending.length > 0) {
      // not even one recipient: no smaller transaction can help
      results.push(...pending.map((p) => unsent(table, p, 'not sent: the server took no recipient (452 too many recipients)')));
      return results;
    }
    // RFC 5321 section 4.5.3.1.10: the recipients over the server's limit go in another
    // transaction; the limit it showed holds for the rest of this batch
    limit = Math.min(limit, taken);
    // a 421 or a closed connection: nothing more goes over this one
    if (replies.length < rcpts.length + 2 || replies.some((r) => r.code === 421)) break;
  }
  results.push(...pending.map((p) => unsent(table, p, 'not sent: the server closed the connection')));
  return results;
}

export function unsent(table: RoutingTable, probe: Probe, note: string): ProbeResult {
  return { probe, predicted: predictRcpt(table, probe.address), verdict: 'inconclusive', note };
}
