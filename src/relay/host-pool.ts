import { FastSMTPConnection } from './dot-stuff.js';

// The connection pool of one next-hop host (next-hop.ts): reuse, idle expiry, and a host
// that refused a connection remembered as dead for a while (as Postfix does).

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

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly display: string;
}

/** The connections to one host. */
export class HostPool {
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
