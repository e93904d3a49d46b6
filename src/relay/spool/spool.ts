import type { MessageBody } from '../body.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { RelayLog } from '../log.js';
import { DirSyncer, syncDir } from './fsutil.js';
import type { MessageMeta } from './record.js';
import { readSpool } from './recover.js';
import type { Segment, SpoolEntry } from './segment.js';
import { SegmentWriter, type NewRecord, type Written } from './writer.js';

export type { SpoolEntry } from './segment.js';

/** Tuning of the segment spool (defaults suit a small site; tests shrink them). */
export interface SpoolTuning {
  /** A segment is closed and a new one started past this size. */
  readonly segmentSize: number;
  /** A closed segment that still holds undelivered messages is compacted after this long (ms). */
  readonly compactAfter: number;
}

/** Free space a probe needs before an unwritable spool counts as writable again. */
const PROBE_ROOM = 16 * 1024;

export const DEFAULT_SPOOL_TUNING: SpoolTuning = { segmentSize: 64 * 1024 * 1024, compactAfter: 60_000 };

/**
 * The append-only segment spool (docs/relay.md "Spool format"). Accepted messages are
 * appended as M records, finished recipients as D records, to the newest segment file;
 * concurrent appends share one write and one fdatasync (group commit, writer.ts), so durability costs
 * one disk flush per batch, not per message. Segments are never rewritten: the oldest one
 * is removed once none of its messages is pending (after copying the few that still are to
 * the newest segment). No file is created or removed per message, which matters on ext4
 * without a journal, where freshly freed inodes are skipped for minutes.
 */
export class Spool {
  readonly dir: string;
  readonly queueDir: string;
  readonly #log: RelayLog;
  readonly #tuning: SpoolTuning;
  readonly #segments: Segment[] = [];
  readonly #entries = new Map<string, SpoolEntry>();
  readonly #writer: SegmentWriter;
  #compacting = false;
  #closed = false;
  /** Whether the last write succeeded (the queue pauses and the SMTP side refuses mail while not). */
  #writable = true;
  readonly #stateListeners: ((writable: boolean) => void)[] = [];
  readonly dirs = new DirSyncer();
  /** Records appended and fdatasyncs done: with group commit, syncs < records under load. */
  readonly stats: SegmentWriter['stats'];

  private constructor(dir: string, log: RelayLog, tuning: SpoolTuning) {
    this.dir = dir;
    this.queueDir = join(dir, 'queue');
    this.#log = log;
    this.#tuning = tuning;
    this.#writer = new SegmentWriter(this.queueDir, tuning.segmentSize, this.#segments, (e: Error) => this.#setWritable(false, e));
    this.stats = this.#writer.stats;
  }

  /** Opens (creating) a spool, takes its lock and reads back every pending message. */
  static async open(dir: string, log: RelayLog, tuning: SpoolTuning = DEFAULT_SPOOL_TUNING): Promise<{ spool: Spool; pending: SpoolEntry[] }> {
    const s = new Spool(dir, log, tuning);
    for (const d of [dir, s.queueDir, join(dir, 'mailboxes'), join(dir, 'quarantine')]) mkdirSync(d, { recursive: true });
    s.#lock();
    const found = await readSpool(s.queueDir, join(dir, 'quarantine'), log);
    s.#segments.push(...found.segments);
    s.#writer.nextSeq = found.nextSeq;
    for (const e of found.entries) s.#entries.set(e.meta.id, e);
    return { spool: s, pending: [...s.#entries.values()].filter((e) => e.done.size < e.meta.rcpt.length) };
  }

  /** Whether the spool can record anything: false from a failed write until one succeeds. */
  get writable(): boolean {
    return this.#writable;
  }

  /** Calls `fn` when the spool becomes unwritable or writable again. */
  onState(fn: (writable: boolean) => void): void {
    this.#stateListeners.push(fn);
  }

  /** Bytes free for us on the spool's file system (statfs f_bavail x f_bsize). */
  async freeBytes(): Promise<number> {
    const s = await statfs(this.dir);
    return s.bavail * s.bsize;
  }

  /**
   * Tries to write a tiny record (a D record for no message, which recovery ignores): the
   * way to learn that an unwritable spool (a full disk) can record again when there is no
   * real record waiting.
   */
  async probe(): Promise<boolean> {
    if (this.#writable) return true;
    try {
      // hysteresis: the last bytes of a page may take a small record while nothing else
      // fits; the spool counts as writable again only with some room (16 KiB, a few
      // hundred D records), else it would say "writable", "unwritable" for every record
      if ((await this.freeBytes()) < PROBE_ROOM) return false;
      await this.#writer.append([{ type: 'D', meta: { id: '', done: [] } }]);
      this.#setWritable(true, undefined, true);
      return true;
    } catch {
      return false;
    }
  }

  /** Messages not complete. */
  get size(): number {
    let n = 0;
    for (const s of this.#segments) n += s.live.size;
    return n;
  }

  /** Appends an accepted message; resolves once it is on disk (fdatasync). */
  async addMessage(meta: MessageMeta, body: MessageBody): Promise<SpoolEntry> {
    const [loc] = await this.#writer.append([{ type: 'M', meta, body: body.parts }]);
    return this.#track(meta, body.length, loc!);
  }

  /**
   * Records recipients of `entry` as done, and optionally a new message (a DSN) in the same
   * write, so a crash cannot keep the one without the other.
   */
  async markDone(entry: SpoolEntry, indexes: readonly number[], dsn?: { meta: MessageMeta; body: MessageBody }): Promise<SpoolEntry | undefined> {
    const recs: NewRecord[] = [];
    if (dsn) recs.push({ type: 'M', meta: dsn.meta, body: dsn.body.parts });
    recs.push({ type: 'D', meta: { id: entry.meta.id, done: indexes } });
    const locs = await this.#writer.append(recs);
    const dsnEntry = dsn ? this.#track(dsn.meta, dsn.body.length, locs[0]!) : undefined;
    for (const i of indexes) entry.done.add(i);
    if (entry.done.size >= entry.meta.rcpt.length) {
      entry.seg.live.delete(entry.meta.id);
      this.#entries.delete(entry.meta.id);
    }
    return dsnEntry;
  }

  /** Reads a message body back (it may have moved to a newer segment by compaction). */
  async readBody(entry: SpoolEntry): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      const { seg, bodyOffset, bodyLength } = entry;
      try {
        const fh = await open(seg.path, 'r');
        try {
          const buf = Buffer.allocUnsafe(bodyLength);
          let got = 0;
          while (got < bodyLength) {
            const { bytesRead } = await fh.read(buf, got, bodyLength - got, bodyOffset + got);
            if (bytesRead === 0) throw new Error(`${seg.path}: short read at ${bodyOffset + got}`);
            got += bytesRead;
          }
          return buf;
        } finally {
          await fh.close();
        }
      } catch (e) {
        // compaction moved it to a newer segment between our look and the read
        if (attempt < 3 && entry.seg !== seg) continue;
        throw e;
      }
    }
  }

  /**
   * Removes what is no longer needed: the oldest segment when none of its messages is
   * pending, after copying the pending ones forward once it has been closed long enough.
   * Only the oldest segment is ever removed, because D records of later segments may
   * refer to its messages.
   */
  async collect(now = Date.now()): Promise<void> {
    if (this.#compacting || this.#closed) return;
    this.#compacting = true;
    try {
      for (;;) {
        const oldest = this.#segments[0];
        if (!oldest) return;
        if (oldest === this.#writer.head) {
          // the head goes too when it is all done and nothing was appended for a while
          if (oldest.live.size > 0 || !this.#writer.quiet(now, 2000)) return;
          await this.#writer.retireHead();
        } else if (oldest.live.size > 0) {
          if (now - (oldest.closedAt ?? now) < this.#tuning.compactAfter) return;
          await this.#compact(oldest);
          if (oldest.live.size > 0) return;
        }
        await unlink(oldest.path).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        await syncDir(this.queueDir);
        this.#segments.shift();
      }
    } catch (e) {
      this.#log({ event: 'error', where: 'spool', error: (e as Error).message });
    } finally {
      this.#compacting = false;
    }
  }

  /** Waits for pending writes and closes the files (the lock stays until close of the process). */
  async close(): Promise<void> {
    await this.#writer.flushing;
    this.#closed = true;
    this.#writer.close();
    for (const s of this.#segments) {
      await s.fh?.close();
      s.fh = undefined;
    }
    try {
      const lock = join(this.dir, 'relay.lock');
      if (readFileSync(lock, 'utf8').trim() === String(process.pid)) await unlink(lock);
    } catch {
      // already gone
    }
  }

  #track(meta: MessageMeta, bodyLength: number, loc: Written): SpoolEntry {
    const entry: SpoolEntry = { meta, seg: loc.seg, bodyOffset: loc.bodyOffset, bodyLength, done: new Set(meta.done ?? []) };
    this.#entries.set(meta.id, entry);
    loc.seg.live.add(meta.id);
    return entry;
  }

  async #compact(seg: Segment): Promise<void> {
    for (const id of [...seg.live]) {
      const entry = this.#entries.get(id);
      if (!entry || entry.seg !== seg) {
        seg.live.delete(id);
        continue;
      }
      const body = await this.readBody(entry);
      const meta: MessageMeta = { ...entry.meta, done: [...entry.done].sort((a, b) => a - b) };
      const [loc] = await this.#writer.append([{ type: 'M', meta, body: [body] }]);
      seg.live.delete(id);
      if (entry.done.size >= entry.meta.rcpt.length) continue;
      entry.meta = meta;
      entry.seg = loc!.seg;
      entry.bodyOffset = loc!.bodyOffset;
      loc!.seg.live.add(id);
    }
  }

  /**
   * One log line when the spool stops being able to record (ENOSPC, EIO, ...) and one when
   * it can again, not one per message: a full disk must not flood the log.
   */
  #setWritable(writable: boolean, error?: Error, probed = false): void {
    if (writable === this.#writable || this.#closed || (writable && !probed)) return;
    this.#writable = writable;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    this.#log(
      writable
        ? { event: 'spool', state: 'writable' }
        : { event: 'spool', state: 'unwritable', error: code ?? error?.message ?? 'error', action: 'refusing mail (452 4.3.1) and pausing deliveries until a write succeeds' },
    );
    for (const fn of this.#stateListeners) fn(writable);
  }

  #lock(): void {
    const lock = join(this.dir, 'relay.lock');
    let pid = 0;
    try {
      pid = Number.parseInt(readFileSync(lock, 'utf8').trim(), 10);
    } catch {
      // no lock yet
    }
    // a lock left by a process that died (kill -9) is stale and taken over
    if (pid > 0 && pid !== process.pid && alive(pid)) throw new Error(`spool ${this.dir} is in use by process ${pid} (${lock})`);
    writeFileSync(lock, `${process.pid}\n`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
