import { backoff } from './outcome.js';
import type { Spool } from './spool/spool.js';
import type { RetryPolicy } from './types.js';

/**
 * While the spool cannot record (a full disk), waits and tries a tiny write, doubling the
 * wait from 1 s (or the minimal backoff, when shorter) to 1 min: a full disk is found free
 * again soon, without a write a second. The spool tells its listeners when it can again.
 */
export class SpoolProbe {
  readonly #spool: Spool;
  readonly #retry: RetryPolicy;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  constructor(spool: Spool, retry: RetryPolicy) {
    this.#spool = spool;
    this.#retry = retry;
  }

  /** The spool is writable again: the next outage starts from the shortest wait. */
  reset(): void {
    this.#failures = 0;
  }

  /** Probes after the next wait, unless a probe is already due. */
  later(): void {
    if (this.#timer || this.#closed) return;
    const { minBackoff, maxBackoff } = this.#retry;
    const wait = backoff({ ...this.#retry, minBackoff: Math.min(minBackoff, 1000), maxBackoff: Math.min(maxBackoff, 60_000) }, ++this.#failures);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#spool.writable) return;
      void this.#spool.probe().then((ok) => {
        if (!ok) this.later();
      });
    }, wait);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}
