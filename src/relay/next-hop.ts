import type { MessageBody } from './body.js';
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { HopHost } from '../routing/table.js';
import type { FastSMTPConnection } from './dot-stuff.js';
import { HostPool, type NextHopOptions, type Target } from './host-pool.js';
import { sendOne, tooManyRecipients, type HopEnvelope, type RecipientResult } from './smtp-send.js';

export type { NextHopOptions } from './host-pool.js';
export type { HopEnvelope, RecipientResult } from './smtp-send.js';

export interface HopResult {
  /** Per recipient, in the order given. */
  readonly results: readonly RecipientResult[];
  /** The host that answered (`[127.0.0.1]:2526`), if one did. */
  readonly remote?: string;
}

/**
 * Onward delivery with nodemailer's SMTP client, one connection pool per next-hop host.
 * A connection is reused for the next message to the same host (RSET only after a
 * failure), so a stream of messages costs no connection setup each; the client pipelines
 * MAIL, RCPT and DATA (RFC 2920). A host that cannot be reached is remembered as dead for
 * a while, so the messages behind it are deferred at once instead of each waiting for a
 * timeout (Postfix does the same).
 */
export class NextHops {
  readonly #options: NextHopOptions;
  readonly #pools = new Map<string, HostPool>();
  #closed = false;

  constructor(options: NextHopOptions) {
    this.#options = options;
  }

  /**
   * Sends one message to the first host of `hosts` that answers: in one or more
   * transactions on the same connection, at most `recipientLimit` recipients each, and
   * another transaction for the recipients the host refused with "too many recipients"
   * (RFC 5321 sections 4.5.3.1.8 and 4.5.3.1.10: 452, or 552 taken as 452) after it
   * accepted others, as Postfix does with smtp_destination_recipient_limit.
   */
  async send(hosts: readonly HopHost[], envelope: HopEnvelope, body: MessageBody): Promise<HopResult> {
    let lastError = 'no next-hop host';
    for (const target of await targets(hosts)) {
      const pool = this.#pool(target);
      for (let attempt = 0; attempt < 2; attempt++) {
        let got: { conn: FastSMTPConnection; reused: boolean };
        try {
          got = await pool.acquire();
        } catch (e) {
          lastError = `connect to ${target.display}: ${(e as Error).message}`;
          break;
        }
        const session = await this.#transactions(got.conn, envelope, body);
        pool.release(got.conn, session.reusable);
        if ('stale' in session) {
          // gone before any reply and before any data: a cached connection the server had
          // closed is retried once on a fresh one; otherwise the next host is tried. Once
          // the data started it never is: the next hop may have the message (RFC 1047).
          lastError = `${target.display}: ${session.stale}`;
          if (got.reused) continue;
          break;
        }
        return { results: session.results, remote: target.display };
      }
    }
    const failure: RecipientResult = { ok: false, temporary: true, status: '4.4.1', diagnostic: lastError };
    return { results: envelope.to.map(() => failure) };
  }

  /** The transactions of one message on one connection. */
  async #transactions(conn: FastSMTPConnection, envelope: HopEnvelope, body: MessageBody): Promise<{ results: RecipientResult[]; reusable: boolean } | { stale: string; reusable: false }> {
    const to = envelope.to;
    const results: RecipientResult[] = [];
    const queue: number[][] = [];
    const limit = Math.max(1, this.#options.recipientLimit);
    for (let i = 0; i < to.length; i += limit) queue.push([...to.keys()].slice(i, i + limit));
    const notSent = (why: string): void => {
      for (const i of queue.splice(0).flat()) results[i] = { ok: false, temporary: true, status: '4.4.2', diagnostic: `not sent: ${why}` };
    };
    let first = true;
    while (queue.length > 0) {
      const batch = queue.shift()!;
      conn.dataStarted = false;
      const out = await sendOne(conn, { ...envelope, to: batch.map((i) => to[i]!) }, body);
      if (out.kind === 'connection') {
        if (first && !out.anyReply && !conn.dataStarted) return { stale: out.error, reusable: false };
        const failure: RecipientResult = conn.dataStarted
          ? { ok: false, temporary: true, status: '4.4.2', diagnostic: `lost connection after the end of data, the next hop may have the message (RFC 1047): ${out.error}`, rfc1047: true }
          : out.results[0]!;
        for (const i of batch) results[i] = failure;
        notSent('the connection was lost');
        return { results, reusable: false };
      }
      first = false;
      const accepted = out.results.some((r) => r.ok);
      const over: number[] = [];
      batch.forEach((i, k) => {
        const r = out.results[k]!;
        if (!r.ok && accepted && tooManyRecipients(r)) over.push(i);
        results[i] = r;
      });
      // the rest in a new transaction of the same attempt (it made progress: no loop)
      if (over.length > 0) queue.unshift(over);
      if (!out.reusable) {
        notSent('the next hop ended the session');
        return { results, reusable: false };
      }
    }
    return { results, reusable: true };
  }

  /** Forgets which hosts are down: the next message tries them again (a flush, a reload). */
  revive(): void {
    for (const p of this.#pools.values()) p.revive();
  }

  /** Closes idle connections; with `force` also those in use (a stop that does not wait). */
  async close(force = false): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#pools.values()].map((p) => p.close(force)));
    this.#pools.clear();
  }

  #pool(t: Target): HostPool {
    const key = `${t.host}:${t.port}`;
    let p = this.#pools.get(key);
    if (!p || this.#closed) {
      p = new HostPool(t, this.#options);
      if (!this.#closed) this.#pools.set(key, p);
    }
    return p;
  }
}

/** Hosts to try: bracketed/IP hosts as they are; names without brackets by MX (RFC 5321 section 5.1). */
async function targets(hosts: readonly HopHost[]): Promise<Target[]> {
  const out: Target[] = [];
  for (const h of hosts) {
    if (!h.mx || isIP(h.host)) {
      out.push({ host: h.host, port: h.port, display: `[${h.host}]:${h.port}` });
      continue;
    }
    try {
      const mx = await dns.resolveMx(h.host);
      mx.sort((a, b) => a.priority - b.priority);
      for (const m of mx) out.push({ host: m.exchange, port: h.port, display: `${m.exchange}:${h.port}` });
    } catch {
      // no MX: the name itself (the implicit MX rule)
      out.push({ host: h.host, port: h.port, display: `${h.host}:${h.port}` });
    }
  }
  return out;
}
