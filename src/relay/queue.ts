import { MessageBody } from './body.js';
import type { RoutingTable } from '../routing/table.js';
import type { Origin } from '../routing/resolve.js';
import { attempt } from './attempt.js';
import type { DsnRecipient } from './dsn.js';
import type { RelayLog } from './log.js';
import type { NextHops } from './next-hop.js';
import { backoff, orig, type Outcome, type Queued } from './outcome.js';
import { recordOutcomes } from './record-outcomes.js';
import { RetrySchedule } from './retry-schedule.js';
import { routeRecipient, type RecipientRoute, type SelfCheck } from './route.js';
import { SpoolProbe } from './spool-probe.js';
import type { Maildirs } from './spool/maildir.js';
import type { Spool, SpoolEntry } from './spool/spool.js';
import type { RetryPolicy } from './types.js';

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
  /**
   * Bytes of message bodies held in memory for delivery (kept from DATA, or read back from
   * the spool); a delivery that would go beyond it waits for one in progress to end.
   */
  readonly bodyCache: number;
}

/** What a stop left behind: recipients a next hop may have and the spool does not say so. */
export interface QueueStop {
  readonly forced: boolean;
  /** The duplicate window: deliveries that may be repeated after the next start. */
  readonly mayRepeat: number;
}

/**
 * The delivery queue: every accepted message is delivered at once; recipients that fail
 * temporarily are retried with exponential backoff (Postfix minimal/maximal_backoff_time)
 * until the queue lifetime ends. Each recipient is routed again at delivery time with the
 * current table (like Postfix's queue manager asking trivial-rewrite), so a SIGHUP reload
 * also applies to mail already queued.
 *
 * An outcome is kept in memory until the spool has recorded it: a recipient a next hop
 * accepted is never sent again because of a local fault (a full disk), only the spool
 * write is retried. While the spool cannot record anything, no delivery starts. Failed
 * recipients are returned in one DSN per message, when no recipient is left to retry
 * (Postfix's bounce(8) also reports a message once, at its end).
 */
export class DeliveryQueue {
  readonly #d: QueueDeps;
  readonly #ready: Queued[] = [];
  readonly #deferred: RetrySchedule;
  readonly #active = new Set<Queued>();
  #cached = 0;
  #closing = false;
  /** close() has returned: what settles later (a forced stop) is not logged after the close line. */
  #stopped = false;
  #idleWaiters: (() => void)[] = [];
  #drained: (() => void) | undefined;
  readonly #probe: SpoolProbe;

  constructor(deps: QueueDeps) {
    this.#d = deps;
    this.#probe = new SpoolProbe(deps.spool, deps.retry);
    this.#deferred = new RetrySchedule((due) => {
      this.#ready.push(...due);
      this.#pump();
    });
    deps.spool.onState((writable) => {
      if (!writable) {
        this.#probe.later();
        return;
      }
      this.#probe.reset();
      // outcomes waiting for the spool are recorded first, at once
      for (const q of this.#deferred.values()) {
        if (q.final || [...q.unrecorded.values()].some((o) => o.kind === 'done')) {
          this.#deferred.delete(q);
          this.#ready.unshift(q);
        }
      }
      this.#pump();
    });
  }

  /** Queues a message that is safely in the spool. */
  enqueue(entry: SpoolEntry, body: MessageBody | undefined, recovered = false): void {
    const q: Queued = { entry, body: undefined, attempts: 0, nextAttempt: 0, recovered, unrecorded: new Map(), exposed: new Set() };
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
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Retries every deferred message now, next hops that were down included (tests, and a reload that may have fixed a route). */
  flush(): void {
    this.#d.hops.revive();
    for (const q of this.#deferred.values()) {
      this.#deferred.delete(q);
      this.#ready.push(q);
    }
    this.#pump();
  }

  /** Deliveries in progress. */
  get active(): number {
    return this.#active.size;
  }

  /**
   * Starts nothing new and waits until every delivery in progress has ended and its outcome
   * is recorded, or until `bound` (or `abort`) ends the wait. Then says how many
   * deliveries a next hop may have that the spool does not record (the duplicate window).
   */
  async close(bound: number, abort: Promise<void>): Promise<QueueStop> {
    this.#closing = true;
    this.#deferred.close();
    this.#probe.close();
    let forced = false;
    if (!this.#drainedNow()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => {
          this.#drained = r;
        }),
        new Promise<void>((r) => {
          timer = setTimeout(() => {
            forced = true;
            r();
          }, bound);
        }),
        abort.then(() => {
          forced = true;
        }),
      ]);
      clearTimeout(timer);
    }
    // a write the full disk refused, tried once more before the spool is closed
    for (const q of [...this.#deferred.values(), ...this.#ready]) if (q.unrecorded.size > 0 && !this.#active.has(q)) await this.#record(q).catch(() => undefined);
    let mayRepeat = 0;
    for (const q of [...this.#active, ...this.#deferred.values(), ...this.#ready]) mayRepeat += q.exposed.size;
    this.#stopped = true;
    return { forced, mayRepeat };
  }

  #drainedNow(): boolean {
    return this.#active.size === 0;
  }

  #isIdle(): boolean {
    return this.#ready.length === 0 && this.#active.size === 0;
  }

  #pump(): void {
    while (!this.#closing && this.#active.size < this.#d.concurrency && this.#ready.length > 0) {
      if (!this.#d.spool.writable) {
        // nothing is delivered that could not be recorded; a probe finds out when it can
        this.#probe.later();
        break;
      }
      const next = this.#ready[0]!;
      // bodies read back from the spool stay within the memory budget (one always may)
      if (!next.body && this.#active.size > 0 && this.#inMemory() + next.entry.bodyLength > this.#d.bodyCache) break;
      const q = this.#ready.shift()!;
      this.#active.add(q);
      void this.#deliver(q)
        .catch((e: unknown) => this.#fault(q, e as Error))
        .finally(() => {
          this.#active.delete(q);
          this.#release(q);
          if (this.#active.size === 0) this.#drained?.();
          this.#pump();
          this.#checkIdle();
        });
    }
    this.#checkIdle();
  }

  #inMemory(): number {
    let n = this.#cached;
    for (const q of this.#active) if (q.reading) n += q.entry.bodyLength;
    return n;
  }

  #checkIdle(): void {
    if (this.#isIdle()) for (const r of this.#idleWaiters.splice(0)) r();
  }

  async #deliver(q: Queued): Promise<void> {
    const { meta } = q.entry;
    const pending: number[] = [];
    for (let i = 0; i < meta.rcpt.length; i++) if (!q.entry.done.has(i) && !q.unrecorded.has(i)) pending.push(i);
    const outcomes = new Map<number, Outcome>();
    const routes = new Map<number, RecipientRoute>();
    if (pending.length > 0) {
      const table = this.#d.table();
      const origin: Origin = meta.dsn ? 'local' : table.gateway ? 'internet' : 'peer';
      for (const i of pending) routes.set(i, routeRecipient(table, meta.rcpt[i]!, origin, meta.received, this.#d.isSelf));
      const body = await this.#body(q);
      await attempt(this.#d, q, routes, body, outcomes);
    }
    await this.#settle(q, routes, outcomes);
  }

  async #body(q: Queued): Promise<MessageBody> {
    if (q.body) return q.body;
    q.reading = true;
    q.body = MessageBody.of(await this.#d.spool.readBody(q.entry));
    return q.body;
  }

  /**
   * Ends an attempt: final outcomes join those waiting to be recorded, recipients still
   * failing past the queue lifetime fail, and what can be recorded is (delivered ones at
   * once; failed ones with the message's one DSN once nothing is left to retry).
   */
  async #settle(q: Queued, routes: Map<number, RecipientRoute>, outcomes: Map<number, Outcome>): Promise<void> {
    const { meta } = q.entry;
    const now = Date.now();
    const expired = now - meta.arrival >= this.#d.retry.queueLifetime;
    const deferred: number[] = [];
    for (const [i, o] of outcomes) {
      if (o.kind !== 'deferred') q.unrecorded.set(i, o);
      else if (expired) {
        const address = routes.get(i)?.address ?? meta.rcpt[i]!;
        const dsn: DsnRecipient = { final: address, ...orig(meta.rcpt[i]!, address), status: o.status, diagnostic: `${o.diagnostic} (gave up after ${Math.round((now - meta.arrival) / 1000)} s in the queue)`, ...(o.remote ? { remoteMta: o.remote } : {}) };
        q.unrecorded.set(i, { kind: 'failed', dsn });
      } else deferred.push(i);
    }
    q.final = deferred.length === 0;
    let recorded = true;
    try {
      await this.#record(q);
    } catch {
      // the spool logged it once (spool.ts); the outcomes stay in memory and only the write is retried
      recorded = false;
    }
    if (recorded && deferred.length === 0) return;
    const wait = backoff(this.#d.retry, ++q.attempts);
    for (const i of this.#stopped ? [] : deferred) {
      const o = outcomes.get(i) as Extract<Outcome, { kind: 'deferred' }>;
      this.#d.log({ event: 'defer', id: meta.id, to: meta.rcpt[i], status: o.status, diagnostic: o.diagnostic, ...(o.remote ? { remote: o.remote } : {}), ...(o.rfc1047 ? { window: 'RFC 1047' } : {}), retryIn: Math.round(wait / 1000) });
    }
    this.#deferred.add(q, now + wait);
  }

  /** Writes what can be recorded of `q` (throws when the spool cannot), and queues the DSN it wrote. */
  async #record(q: Queued): Promise<void> {
    const dsn = await recordOutcomes(this.#d, q, () => this.#body(q));
    if (dsn) this.enqueue(dsn.entry, dsn.body);
  }

  /**
   * An attempt that failed for a local reason (the body could not be read back, a file
   * system error): retried with the same growing backoff as any failure, and bounced like
   * any other at the end of the queue lifetime.
   */
  async #fault(q: Queued, e: Error): Promise<void> {
    const { meta } = q.entry;
    const expired = Date.now() - meta.arrival >= this.#d.retry.queueLifetime;
    const wait = backoff(this.#d.retry, q.attempts + 1);
    if (!this.#closing) this.#d.log({ event: 'error', where: 'delivery', id: meta.id, error: e.message, ...(expired ? {} : { retryIn: Math.round(wait / 1000) }) });
    if (expired) {
      const outcomes = new Map<number, Outcome>();
      for (let i = 0; i < meta.rcpt.length; i++) {
        if (!q.entry.done.has(i) && !q.unrecorded.has(i)) outcomes.set(i, { kind: 'deferred', status: '4.3.0', diagnostic: `local error: ${e.message}` });
      }
      await this.#settle(q, new Map(), outcomes).catch(() => this.#deferred.add(q, Date.now() + backoff(this.#d.retry, ++q.attempts)));
      return;
    }
    q.attempts++;
    this.#deferred.add(q, Date.now() + wait);
  }

  #release(q: Queued): void {
    if (q.body && !q.reading) this.#cached -= q.body.length;
    q.body = undefined;
    q.reading = false;
  }
}
