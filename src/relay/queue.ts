import type { RoutingTable } from '../routing/table.js';
import type { Origin } from '../routing/resolve.js';
import { buildDsn, type DsnRecipient } from './dsn.js';
import type { RelayLog } from './log.js';
import { scanMessage } from './message.js';
import type { NextHops, RecipientResult } from './next-hop.js';
import { queueId } from './queue-id.js';
import { routeRecipient, type RecipientRoute, type SelfCheck } from './route.js';
import type { Maildirs } from './spool/maildir.js';
import type { MessageMeta } from './spool/record.js';
import type { Spool, SpoolEntry } from './spool/spool.js';
import type { RelayEvent, RetryPolicy } from './types.js';

export interface QueueDeps {
  readonly spool: Spool;
  readonly maildirs: Maildirs;
  readonly hops: NextHops;
  readonly log: RelayLog;
  readonly hostname: string;
  readonly table: () => RoutingTable;
  readonly isSelf: SelfCheck;
  readonly retry: RetryPolicy;
  /** Messages delivered at once. */
  readonly concurrency: number;
  /** Bytes of message bodies kept in memory for delivery; beyond it they are read back from the spool. */
  readonly bodyCache: number;
}

interface Queued {
  readonly entry: SpoolEntry;
  body: Buffer | undefined;
  attempts: number;
  nextAttempt: number;
  /** In the spool at a restart: a Maildir copy may already exist. */
  readonly recovered: boolean;
}

/** What happened to one recipient in one attempt. */
type Outcome =
  /** `event`: the deliver line, logged once the spool has recorded the recipient as done. */
  | { kind: 'done'; event: RelayEvent }
  | { kind: 'failed'; dsn: DsnRecipient }
  | { kind: 'deferred'; status: string; diagnostic: string; remote?: string };

/**
 * The delivery queue: every accepted message is delivered at once; recipients that fail
 * temporarily are retried with exponential backoff (Postfix minimal/maximal_backoff_time)
 * until the queue lifetime ends; permanent failures, and recipients still failing then,
 * are returned to the sender in one DSN per attempt. Each recipient is routed again at
 * delivery time with the current table (like Postfix's queue manager asking
 * trivial-rewrite), so a SIGHUP reload also applies to mail already queued.
 */
export class DeliveryQueue {
  readonly #d: QueueDeps;
  readonly #ready: Queued[] = [];
  readonly #deferred = new Set<Queued>();
  #active = 0;
  #cached = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #closing = false;
  #idleWaiters: (() => void)[] = [];
  #activeDone: (() => void) | undefined;

  constructor(deps: QueueDeps) {
    this.#d = deps;
  }

  /** Queues a message that is safely in the spool. */
  enqueue(entry: SpoolEntry, body: Buffer | undefined, recovered = false): void {
    const q: Queued = { entry, body: undefined, attempts: 0, nextAttempt: 0, recovered };
    if (body && this.#cached + body.length <= this.#d.bodyCache) {
      q.body = body;
      this.#cached += body.length;
    }
    this.#ready.push(q);
    this.#pump();
  }

  /** Messages waiting for a retry. */
  get deferred(): number {
    return this.#deferred.size;
  }

  /** Resolves when nothing is ready or being delivered (deferred messages wait for their time). */
  idle(): Promise<void> {
    if (this.#ready.length === 0 && this.#active === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Retries every deferred message now (tests, and a reload that may have fixed a route). */
  flush(): void {
    for (const q of this.#deferred) {
      this.#deferred.delete(q);
      this.#ready.push(q);
    }
    this.#pump();
  }

  /** Starts nothing new and waits (at most `waitMs`) for deliveries in progress. */
  async close(waitMs: number): Promise<void> {
    this.#closing = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#active > 0) {
      await Promise.race([
        new Promise<void>((r) => {
          this.#activeDone = r;
        }),
        new Promise<void>((r) => setTimeout(r, waitMs).unref()),
      ]);
    }
  }

  #pump(): void {
    while (!this.#closing && this.#active < this.#d.concurrency && this.#ready.length > 0) {
      const q = this.#ready.shift()!;
      this.#active++;
      void this.#deliver(q)
        .catch((e: unknown) => {
          // an unexpected error (disk gone): keep the message and try later
          this.#d.log({ event: 'error', where: 'delivery', id: q.entry.meta.id, error: (e as Error).message });
          this.#defer(q, Date.now() + this.#d.retry.minBackoff);
        })
        .finally(() => {
          this.#active--;
          if (this.#active === 0) this.#activeDone?.();
          this.#pump();
          this.#checkIdle();
        });
    }
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#ready.length === 0 && this.#active === 0) {
      for (const r of this.#idleWaiters.splice(0)) r();
    }
  }

  async #deliver(q: Queued): Promise<void> {
    const { meta } = q.entry;
    const table = this.#d.table();
    const origin: Origin = meta.dsn ? 'local' : table.gateway ? 'internet' : 'peer';
    const pending: number[] = [];
    for (let i = 0; i < meta.rcpt.length; i++) if (!q.entry.done.has(i)) pending.push(i);
    const routes = new Map<number, RecipientRoute>();
    for (const i of pending) routes.set(i, routeRecipient(table, meta.rcpt[i]!, origin, meta.received, this.#d.isSelf));
    const body = q.body ?? (await this.#d.spool.readBody(q.entry));
    const outcomes = new Map<number, Outcome>();
    const jobs: Promise<void>[] = [];

    // local mailboxes: one copy per mailbox, however many recipients lead to it
    const byMailbox = new Map<string, number[]>();
    // next hops: one transaction per hop with all its recipients
    const byHop = new Map<string, { route: Extract<RecipientRoute, { kind: 'forward' | 'mx' }>; indexes: number[] }>();
    for (const [i, r] of routes) {
      if (r.kind === 'deliver') {
        const list = byMailbox.get(r.mailbox);
        if (list) list.push(i);
        else byMailbox.set(r.mailbox, [i]);
      } else if (r.kind === 'forward' || r.kind === 'mx') {
        const g = byHop.get(r.display);
        if (g) g.indexes.push(i);
        else byHop.set(r.display, { route: r, indexes: [i] });
      } else {
        outcomes.set(i, { kind: 'failed', dsn: { final: r.address, ...orig(meta.rcpt[i]!, r.address), status: r.status, diagnostic: `${r.code} ${r.status} ${r.reason}` } });
      }
    }
    for (const [mailbox, indexes] of byMailbox) {
      jobs.push(this.#toMailbox(q, mailbox, indexes, body, outcomes));
    }
    for (const { route, indexes } of byHop.values()) {
      jobs.push(this.#toHop(q, route, indexes, routes, body, outcomes));
    }
    await Promise.all(jobs);
    await this.#settle(q, routes, outcomes, body);
  }

  async #toMailbox(q: Queued, mailbox: string, indexes: number[], body: Buffer, outcomes: Map<number, Outcome>): Promise<void> {
    const { meta } = q.entry;
    const name = this.#d.maildirs.fileName(meta.id, indexes[0]!, meta.arrival);
    // RFC 5321 section 4.4: the final delivery adds Return-Path with the envelope sender
    const returnPath = Buffer.from(`Return-Path: <${meta.from}>\r\n`, 'utf8');
    try {
      const how = await this.#d.maildirs.deliver(mailbox, name, [returnPath, body], q.recovered);
      for (const i of indexes) {
        outcomes.set(i, { kind: 'done', event: { event: 'deliver', id: meta.id, to: meta.rcpt[i], mailbox, file: name, status: '2.0.0', ...(how === 'duplicate' ? { duplicate: true } : {}) } });
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      for (const i of indexes) outcomes.set(i, { kind: 'deferred', status: '4.3.0', diagnostic: `mailbox ${mailbox}: ${err.code ?? err.message}` });
    }
  }

  async #toHop(
    q: Queued,
    route: Extract<RecipientRoute, { kind: 'forward' | 'mx' }>,
    indexes: number[],
    routes: Map<number, RecipientRoute>,
    body: Buffer,
    outcomes: Map<number, Outcome>,
  ): Promise<void> {
    const { meta } = q.entry;
    const wire = indexes.map((i) => routes.get(i)!.address);
    const to = [...new Set(wire)];
    // eslint-disable-next-line no-control-regex
    const utf8 = meta.utf8 || to.some((a) => /[^\x00-\x7f]/.test(a)) || /[^\x00-\x7f]/.test(meta.from);
    const res = await this.#d.hops.send(route.hosts, { from: meta.from, to, utf8, body8: meta.body8 }, body);
    const byAddress = new Map<string, RecipientResult>();
    to.forEach((a, k) => byAddress.set(a, res.results[k]!));
    indexes.forEach((i, k) => {
      const r = byAddress.get(wire[k]!)!;
      const remote = res.remote ? { remote: res.remote } : {};
      if (r.ok) {
        const event: RelayEvent = { event: 'deliver', id: meta.id, to: meta.rcpt[i], ...(wire[k] !== meta.rcpt[i] ? { via: wire[k] } : {}), relay: route.display, ...remote, status: r.status, response: r.diagnostic };
        outcomes.set(i, { kind: 'done', event });
      } else if (r.temporary) {
        outcomes.set(i, { kind: 'deferred', status: r.status, diagnostic: r.diagnostic, ...remote });
      } else {
        outcomes.set(i, { kind: 'failed', dsn: { final: wire[k]!, ...orig(meta.rcpt[i]!, wire[k]!), status: r.status, diagnostic: r.diagnostic, ...(res.remote ? { remoteMta: res.remote } : {}) } });
      }
    });
  }

  /** Records the attempt: done and bounced recipients (with the DSN) in one spool write; the rest retried. */
  async #settle(q: Queued, routes: Map<number, RecipientRoute>, outcomes: Map<number, Outcome>, body: Buffer): Promise<void> {
    const { meta } = q.entry;
    const now = Date.now();
    const expired = now - meta.arrival >= this.#d.retry.queueLifetime;
    const done: number[] = [];
    const failed: { i: number; dsn: DsnRecipient }[] = [];
    const deferred: number[] = [];
    for (const [i, o] of outcomes) {
      if (o.kind === 'done') done.push(i);
      else if (o.kind === 'failed') failed.push({ i, dsn: o.dsn });
      else if (expired) {
        const address = routes.get(i)?.address ?? meta.rcpt[i]!;
        failed.push({ i, dsn: { final: address, ...orig(meta.rcpt[i]!, address), status: o.status, diagnostic: `${o.diagnostic} (gave up after ${Math.round((now - meta.arrival) / 1000)} s in the queue)`, ...(o.remote ? { remoteMta: o.remote } : {}) } });
      } else deferred.push(i);
    }
    let dsn: { meta: MessageMeta; body: Buffer } | undefined;
    const bounceable = meta.from !== '' && !meta.dsn;
    if (failed.length > 0 && bounceable) {
      const id = queueId(now);
      const scan = scanMessage(body, Number.MAX_SAFE_INTEGER);
      const built = buildDsn({
        hostname: this.#d.hostname,
        queueId: meta.id,
        dsnId: id,
        arrival: new Date(meta.arrival),
        date: new Date(now),
        sender: meta.from,
        recipients: failed.map((f) => f.dsn),
        headers: body.subarray(0, scan.headerLength),
      });
      dsn = { meta: { v: 1, id, from: '', rcpt: [meta.from], arrival: now, received: 0, utf8: built.utf8, body8: built.utf8, dsn: true }, body: built.body };
    }
    const finished = [...done, ...failed.map((f) => f.i)];
    let dsnEntry: SpoolEntry | undefined;
    if (finished.length > 0) dsnEntry = await this.#d.spool.markDone(q.entry, finished, dsn);
    // logged after the spool write: a "deliver" line means it will not be delivered again
    for (const o of outcomes.values()) if (o.kind === 'done') this.#d.log(o.event);
    for (const f of failed) {
      this.#d.log({
        event: 'bounce',
        id: meta.id,
        to: meta.rcpt[f.i],
        status: f.dsn.status,
        diagnostic: f.dsn.diagnostic,
        ...(f.dsn.remoteMta ? { remote: f.dsn.remoteMta } : {}),
        // never a DSN about a DSN or to the null sender (RFC 3464 section 2; RFC 5321 section 4.5.5)
        dsn: dsn ? dsn.meta.id : 'none (null sender)',
      });
    }
    if (dsn && dsnEntry) this.enqueue(dsnEntry, dsn.body);
    if (deferred.length === 0) {
      this.#release(q);
      return;
    }
    q.attempts++;
    const wait = Math.min(this.#d.retry.maxBackoff, this.#d.retry.minBackoff * 2 ** (q.attempts - 1));
    for (const i of deferred) {
      const o = outcomes.get(i) as Extract<Outcome, { kind: 'deferred' }>;
      this.#d.log({ event: 'defer', id: meta.id, to: meta.rcpt[i], status: o.status, diagnostic: o.diagnostic, ...(o.remote ? { remote: o.remote } : {}), retryIn: Math.round(wait / 1000) });
    }
    // a deferred message is read back from the spool when its time comes
    this.#release(q);
    this.#defer(q, now + wait);
  }

  #release(q: Queued): void {
    if (q.body) this.#cached -= q.body.length;
    q.body = undefined;
  }

  #defer(q: Queued, at: number): void {
    q.nextAttempt = at;
    this.#deferred.add(q);
    if (at < this.#timerAt) this.#arm(at);
  }

  #arm(at: number): void {
    if (this.#closing) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#due(), Math.max(0, at - Date.now()));
    this.#timer.unref();
  }

  #due(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const q of this.#deferred) {
      if (q.nextAttempt <= now) {
        this.#deferred.delete(q);
        this.#ready.push(q);
      } else next = Math.min(next, q.nextAttempt);
    }
    if (next < Infinity) this.#arm(next);
    this.#pump();
  }
}

function orig(given: string, final: string): { original?: string } {
  return given !== final ? { original: given } : {};
}
