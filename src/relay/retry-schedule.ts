import type { Queued } from './outcome.js';

/**
 * The messages waiting for a retry, each until its own time (Queued.nextAttempt, from the
 * backoff of outcome.ts), with one timer armed for the earliest of them. Due messages are
 * handed back to the queue in the order they were deferred.
 */
export class RetrySchedule {
  readonly #waiting = new Set<Queued>();
  readonly #onDue: (due: Queued[]) => void;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #closed = false;

  constructor(onDue: (due: Queued[]) => void) {
    this.#onDue = onDue;
  }

  /** Messages waiting. */
  get size(): number {
    return this.#waiting.size;
  }

  /** The waiting messages (deleting the current one while iterating is allowed). */
  values(): IterableIterator<Queued> {
    return this.#waiting.values();
  }

  /** Takes `q` out of the schedule (it is retried now, by the caller). */
  delete(q: Queued): void {
    this.#waiting.delete(q);
  }

  /** Retries `q` at `at` (ms since the epoch). */
  add(q: Queued, at: number): void {
    q.nextAttempt = at;
    this.#waiting.add(q);
    if (at < this.#timerAt) this.#arm(at);
  }

  /** Arms no timer any more; the messages stay (a stop reports them). */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #arm(at: number): void {
    if (this.#closed) return;
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
    const due: Queued[] = [];
    for (const q of this.#waiting) {
      if (q.nextAttempt <= now) {
        this.#waiting.delete(q);
        due.push(q);
      } else next = Math.min(next, q.nextAttempt);
    }
    if (next < Infinity) this.#arm(next);
    this.#onDue(due);
  }
}
