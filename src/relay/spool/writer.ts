import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeAll } from './fsutil.js';
import { encodeRecord, type RecordType } from './record.js';
import type { Segment } from './segment.js';

/** Where a record was written. */
export interface Written {
  readonly seg: Segment;
  readonly offset: number;
  readonly bodyOffset: number;
}

interface Pending {
  readonly bufs: Buffer[];
  /** Per record: total length and length before the body (header + meta). */
  readonly sizes: { total: number; head: number }[];
  readonly resolve: (offsets: Written[]) => void;
  readonly reject: (e: Error) => void;
}

/** A record to append: its type, its meta and (M records) the message body, in its pieces. */
export interface NewRecord {
  readonly type: RecordType;
  readonly meta: object;
  readonly body?: readonly Buffer[];
}

/**
 * The writing side of the segment spool (docs/relay.md "Spool format"): records are
 * appended to the newest segment, a new one started past the segment size; concurrent
 * appends share one write and one fdatasync (group commit), so durability costs one disk
 * flush per batch, not per message. A failed write is reported to `onFailure` and rejects
 * the appends of its batch; the spool decides what that means.
 */
export class SegmentWriter {
  /** Records appended and fdatasyncs done: with group commit, syncs < records under load. */
  readonly stats = { records: 0, syncs: 0 };
  /** The number of the next segment file. */
  nextSeq = 1;
  readonly #queueDir: string;
  readonly #segmentSize: number;
  readonly #segments: Segment[];
  readonly #onFailure: (e: Error) => void;
  #head: Segment | undefined;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #lastAppend = 0;
  #closed = false;

  /** `segments` is the spool's list, oldest first: a new segment is pushed onto it. */
  constructor(queueDir: string, segmentSize: number, segments: Segment[], onFailure: (e: Error) => void) {
    this.#queueDir = queueDir;
    this.#segmentSize = segmentSize;
    this.#segments = segments;
    this.#onFailure = onFailure;
  }

  /** The segment appended to, if one is open. */
  get head(): Segment | undefined {
    return this.#head;
  }

  /** The write in progress, if any. */
  get flushing(): Promise<void> | undefined {
    return this.#flushing;
  }

  /** Nothing waits to be written and nothing was appended in the `ms` before `now`. */
  quiet(now: number, ms: number): boolean {
    return this.#pending.length === 0 && !this.#flushing && now - this.#lastAppend >= ms;
  }

  /** Stops appending to the head segment and closes its file (the spool removes it). */
  async retireHead(): Promise<void> {
    const h = this.#head;
    this.#head = undefined;
    await h?.fh?.close();
    if (h) h.fh = undefined;
  }

  /** Rejects every later append (after the caller waited for `flushing`). */
  close(): void {
    this.#closed = true;
  }

  /** Appends `recs` in one write; resolves with where each went once they are on disk (fdatasync). */
  append(recs: readonly NewRecord[]): Promise<Written[]> {
    if (this.#closed) return Promise.reject(new Error('spool closed'));
    const bufs: Buffer[] = [];
    const sizes: { total: number; head: number }[] = [];
    for (const r of recs) {
      const b = encodeRecord(r.type, r.meta, r.body);
      bufs.push(...b);
      sizes.push({ total: b.reduce((n, x) => n + x.length, 0), head: b[0]!.length });
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ bufs, sizes, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /**
   * The group commit: everything queued while the last write ran goes out in one write and
   * one fdatasync. It stops counting as flushing in the same job in which it finds nothing
   * pending, before the writers it resolved run on, so an append one of them makes starts
   * the next flush. (Cleared in a later job, by a `.finally`, such appends stayed pending
   * with no flush to write them: in the storm test, 200 deliveries whose records had waited
   * for a full disk waited forever once it had room again.)
   */
  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        // yield once so appends of the same event-loop turn join the batch
        await new Promise<void>((r) => setImmediate(r));
        const batch: Pending[] = [];
        let bytes = 0;
        while (this.#pending.length > 0 && (batch.length === 0 || bytes < 32 * 1024 * 1024)) {
          const p = this.#pending.shift()!;
          batch.push(p);
          bytes += p.sizes.reduce((a, b) => a + b.total, 0);
        }
        let head: Segment;
        try {
          head = await this.#writableHead();
        } catch (e) {
          this.#onFailure(e as Error);
          for (const p of batch) p.reject(e as Error);
          continue;
        }
        const start = head.size;
        try {
          const bufs = batch.flatMap((p) => p.bufs);
          await writeAll(head.fh!, bufs, start);
          await head.fh!.datasync();
          this.stats.syncs++;
          this.stats.records += batch.reduce((n, p) => n + p.sizes.length, 0);
          head.size = start + bytes;
          this.#lastAppend = Date.now();
        } catch (e) {
          this.#onFailure(e as Error);
          // leave no torn record behind for the next batch to follow; if even that fails,
          // continue in a new segment (recovery quarantines the torn tail)
          try {
            await head.fh!.truncate(start);
          } catch {
            this.#closeHead();
          }
          for (const p of batch) p.reject(e as Error);
          continue;
        }
        let pos = start;
        for (const p of batch) {
          const offsets = p.sizes.map((n) => {
            const o: Written = { seg: head, offset: pos, bodyOffset: pos + n.head };
            pos += n.total;
            return o;
          });
          p.resolve(offsets);
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #writableHead(): Promise<Segment> {
    if (this.#head && this.#head.size >= this.#segmentSize) this.#closeHead();
    if (this.#head) return this.#head;
    const seq = this.nextSeq++;
    const path = join(this.#queueDir, `${seq.toString(16).padStart(12, '0')}.seg`);
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
    // the new file's name must survive a crash before any record in it is acknowledged
    await syncDir(this.#queueDir);
    const seg: Segment = { seq, path, live: new Set(), size: 0, fh };
    this.#segments.push(seg);
    this.#head = seg;
    return seg;
  }

  #closeHead(): void {
    const h = this.#head;
    if (!h) return;
    this.#head = undefined;
    h.closedAt = Date.now();
    const fh = h.fh;
    h.fh = undefined;
    void fh?.close().catch(() => undefined);
  }
}
