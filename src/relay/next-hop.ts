import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { HopHost } from '../routing/table.js';
import { FastSMTPConnection } from './dot-stuff.js';

/** The outcome for one recipient of a forwarded message. */
export interface RecipientResult {
  readonly ok: boolean;
  /** A temporary failure (4xx, no connection): retry later. */
  readonly temporary: boolean;
  /** Enhanced status code (RFC 3463) from the reply, or ours. */
  readonly status: string;
  /** The reply of the next hop, or what went wrong. */
  readonly diagnostic: string;
  /** The connection was lost after the end of data: the next hop may have it (RFC 1047). */
  readonly rfc1047?: true;
}

export interface HopResult {
  /** Per recipient, in the order given. */
  readonly results: readonly RecipientResult[];
  /** The host that answered (`[127.0.0.1]:2526`), if one did. */
  readonly remote?: string;
}

export interface HopEnvelope {
  readonly from: string;
  readonly to: readonly string[];
  readonly utf8: boolean;
  readonly body8: boolean;
}

export interface NextHopOptions {
  /** Our name in EHLO. */
  readonly hostname: string;
  /** Connections open at once to one host. */
  readonly connectionsPerHost: number;
  /** How long a host that refused a connection is not tried again (ms). */
  readonly deadTime: number;
  /** Idle connections are closed after this long (ms; postconf smtp_connection_cache_time_limit). */
  readonly idleTime: number;
  /** Recipients per transaction (postconf smtp_destination_recipient_limit). */
  readonly recipientLimit: number;
}

interface Target {
  readonly host: string;
  readonly port: number;
  readonly display: string;
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
  async send(hosts: readonly HopHost[], envelope: HopEnvelope, body: Buffer): Promise<HopResult> {
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
  async #transactions(conn: FastSMTPConnection, envelope: HopEnvelope, body: Buffer): Promise<{ results: RecipientResult[]; reusable: boolean } | { stale: string; reusable: false }> {
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

type SendOutcome =
  | { kind: 'replied'; results: RecipientResult[]; reusable: boolean }
  | { kind: 'connection'; results: RecipientResult[]; reusable: false; anyReply: boolean; error: string };

interface MailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: MailerError[];
}

function sendOne(conn: SMTPConnection, envelope: HopEnvelope, body: Buffer): Promise<SendOutcome> {
  return new Promise((resolve) => {
    conn.send(
      { from: envelope.from === '' ? false : envelope.from, to: [...envelope.to], size: body.length, use8BitMime: envelope.body8 },
      body,
      (err, info) => {
        const rejected = new Map<string, MailerError>();
        for (const e of ((err as MailerError | null)?.rejectedErrors ?? info?.rejectedErrors ?? []) as MailerError[]) {
          if (e.recipient !== undefined) rejected.set(e.recipient, e);
        }
        if (!err) {
          const results = envelope.to.map((to) => {
            const r = rejected.get(to);
            return r ? fromReply(r) : { ok: true, temporary: false, status: statusOf(info?.response ?? '250', 250), diagnostic: info?.response ?? '250' };
          });
          resolve({ kind: 'replied', results, reusable: true });
          return;
        }
        const e = err as MailerError;
        if (e.responseCode !== undefined) {
          // the server answered: MAIL refused, every RCPT refused, or the message refused;
          // the session is reused only after RSET ends the failed transaction
          const results = envelope.to.map((to) => fromReply(rejected.get(to) ?? e));
          if (e.responseCode === 421) {
            resolve({ kind: 'replied', results, reusable: false });
            return;
          }
          try {
            conn.reset((resetErr) => resolve({ kind: 'replied', results, reusable: !resetErr }));
          } catch {
            resolve({ kind: 'replied', results, reusable: false });
          }
          return;
        }
        const error = `${e.code ?? 'error'}: ${e.message}`;
        const failure: RecipientResult = { ok: false, temporary: true, status: '4.4.2', diagnostic: `lost connection: ${e.message}` };
        resolve({ kind: 'connection', results: envelope.to.map(() => failure), reusable: false, anyReply: rejected.size > 0, error });
      },
    );
  });
}

/** "Too many recipients" (RFC 5321 section 4.5.3.1.10: 452, or a 552 a client should take as 452). */
function tooManyRecipients(r: RecipientResult): boolean {
  return /^452[ -]/.test(r.diagnostic) || r.status === '4.5.3' || TOO_MANY_552.test(r.diagnostic);
}

/** A 552 that says "too many recipients" (enhanced status 5.5.3, RFC 3463), not "message too big". */
const TOO_MANY_552 = /^552[ -](?:.*\b5\.5\.3\b|.*too many recipients)/i;

function fromReply(e: MailerError): RecipientResult {
  const code = e.responseCode ?? 451;
  const response = (e.response ?? `${code} ${e.message}`).replace(/[\r\n]+/g, ' ').slice(0, 900);
  // RFC 5321 section 4.5.3.1.10: a 552 for too many recipients is to be taken as 452
  const temporary = code < 500 || TOO_MANY_552.test(response);
  return { ok: false, temporary, status: statusOf(response, code), diagnostic: response };
}

/** The enhanced status code of a reply (RFC 3463), or the generic one for its class. */
export function statusOf(reply: string, code: number): string {
  const m = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply);
  if (m?.[1]) return m[1];
  return code >= 500 ? '5.0.0' : code >= 400 ? '4.0.0' : '2.0.0';
}

/** The connections to one host. */
class HostPool {
  readonly #target: Target;
  readonly #options: NextHopOptions;
  readonly #idle: { conn: FastSMTPConnection; timer: NodeJS.Timeout }[] = [];
  readonly #waiters: { resolve: (c: { conn: FastSMTPConnection; reused: boolean }) => void; reject: (e: Error) => void }[] = [];
  /** Every open connection, idle or in use (a forced stop closes them all). */
  readonly #all = new Set<FastSMTPConnection>();
  #open = 0;
  #deadUntil = 0;
  #deadError: Error | undefined;
  #closed = false;

  constructor(target: Target, options: NextHopOptions) {
    this.#target = target;
    this.#options = options;
  }

  acquire(): Promise<{ conn: FastSMTPConnection; reused: boolean }> {
    if (this.#closed) return Promise.reject(new Error('relay is stopping'));
    if (Date.now() < this.#deadUntil) return Promise.reject(this.#deadError ?? new Error('host is down'));
    const idle = this.#idle.pop();
    if (idle) {
      clearTimeout(idle.timer);
      return Promise.resolve({ conn: idle.conn, reused: true });
    }
    if (this.#open < this.#options.connectionsPerHost) return this.#fresh();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  revive(): void {
    this.#deadUntil = 0;
  }

  release(conn: FastSMTPConnection, reusable: boolean): void {
    if (!reusable || this.#closed) {
      this.#drop(conn);
      return;
    }
    const w = this.#waiters.shift();
    if (w) {
      w.resolve({ conn, reused: true });
      return;
    }
    const timer = setTimeout(() => {
      const i = this.#idle.findIndex((x) => x.conn === conn);
      if (i >= 0) this.#idle.splice(i, 1);
      this.#drop(conn, true);
    }, this.#options.idleTime);
    timer.unref();
    this.#idle.push({ conn, timer });
  }

  async close(force: boolean): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(new Error('relay is stopping'));
    for (const { conn, timer } of this.#idle.splice(0)) {
      clearTimeout(timer);
      this.#drop(conn, true);
    }
    if (force) for (const conn of [...this.#all]) this.#drop(conn);
  }

  #drop(conn: FastSMTPConnection, quit = false): void {
    if (!this.#all.delete(conn)) return;
    this.#open--;
    try {
      if (quit) conn.quit();
      conn.close();
    } catch {
      // already closed
    }
    // a waiter gets a fresh connection in place of this one
    const w = this.#waiters.shift();
    if (w) this.#fresh().then(w.resolve, w.reject);
  }

  #fresh(): Promise<{ conn: FastSMTPConnection; reused: boolean }> {
    return this.#connect().then((conn) => ({ conn, reused: false }));
  }

  #connect(): Promise<FastSMTPConnection> {
    this.#open++;
    return new Promise((resolve, reject) => {
      const conn = new FastSMTPConnection({
        host: this.#target.host,
        port: this.#target.port,
        name: this.#options.hostname,
        connectionTimeout: 30_000,
        greetingTimeout: 30_000,
        // RFC 5321 section 4.5.3.2: DATA termination may take 10 minutes
        socketTimeout: 10 * 60_000,
        // a peer's STARTTLS is used when it works, like smtp_tls_security_level = may
        opportunisticTLS: true,
        tls: { rejectUnauthorized: false },
        allowInternalNetworkInterfaces: true,
        logger: false,
      });
      let settled = false;
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        this.#open--;
        this.#deadUntil = Date.now() + this.#options.deadTime;
        this.#deadError = e;
        try {
          conn.close();
        } catch {
          // nothing to close
        }
        reject(e);
        // the others waiting for this host learn it is down now, not after their own timeout
        for (const w of this.#waiters.splice(0)) w.reject(e);
      };
      // errors after the greeting reach the send callback; this listener only keeps them
      // from being unhandled
      conn.on('error', fail);
      // a cached connection the server closed while idle leaves the pool
      conn.on('end', () => {
        const i = this.#idle.findIndex((x) => x.conn === conn);
        if (i < 0) return;
        clearTimeout(this.#idle[i]!.timer);
        this.#idle.splice(i, 1);
        this.#drop(conn);
      });
      conn.connect((err?: Error | null) => {
        if (err) return fail(err);
        if (settled) return;
        settled = true;
        this.#all.add(conn);
        resolve(conn);
      });
    });
  }
}
