import { readdirSync, renameSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RelayLog } from '../log.js';
import { isQueueId } from '../queue-id.js';
import { decodeRecord, isDoneMeta, isMessageMeta, MAGIC } from './record.js';
import type { Segment, SpoolEntry } from './segment.js';

/** What a spool holds at start: its segments, the pending messages, the next segment number. */
export interface SpoolContents {
  readonly segments: Segment[];
  readonly entries: SpoolEntry[];
  readonly nextSeq: number;
}

/**
 * Reads every segment in order and applies D records to their messages (the latest copy of
 * a message wins, done recipients are the union). A damaged record (checksum, length, meta)
 * or one cut short at the end (a crash during a write, never acknowledged) is copied to
 * `quarantine` with a log line, and reading goes on at the next record that checks out:
 * nothing in the spool can stop the relay from starting.
 */
export async function readSpool(queueDir: string, quarantineDir: string, log: RelayLog): Promise<SpoolContents> {
  const names = readdirSync(queueDir).filter((n) => /^[0-9a-f]{12}\.seg$/.test(n)).sort();
  const segments: Segment[] = [];
  const entries = new Map<string, SpoolEntry>();
  const doneEarly = new Map<string, number[]>();
  let nextSeq = 1;
  const quarantine = async (segment: string, offset: number, bytes: Buffer, reason: string): Promise<void> => {
    const file = join(quarantineDir, `${segment}.${offset}.bad`);
    try {
      await writeFile(file, bytes, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    log({ event: 'quarantine', segment, offset, bytes: bytes.length, reason, file });
  };
  for (const name of names) {
    const seq = Number.parseInt(name.slice(0, 12), 16);
    const path = join(queueDir, name);
    nextSeq = Math.max(nextSeq, seq + 1);
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (e) {
      // a directory or an unreadable file named like a segment must not stop the relay:
      // move it aside and go on with the others
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      const file = join(quarantineDir, `${name}.unreadable`);
      try {
        renameSync(path, file);
      } catch {
        /* left in place: skipped again at the next start, and logged again */
      }
      log({ event: 'quarantine', segment: name, offset: 0, bytes: 0, reason: `unreadable (${code})`, file });
      continue;
    }
    const seg: Segment = { seq, path, live: new Set(), size: buf.length, closedAt: Date.now() };
    segments.push(seg);
    nextSeq = Math.max(nextSeq, seq + 1);
    let pos = 0;
    while (pos < buf.length) {
      const r = decodeRecord(buf, pos);
      if (!r.ok) {
        const next = nextRecord(buf, pos + 1);
        await quarantine(name, pos, buf.subarray(pos, next), r.reason);
        pos = next;
        continue;
      }
      const rec = r.record;
      pos += rec.length;
      if ((rec.type === 'M' && isMessageMeta(rec.meta) && !isQueueId(rec.meta.id)) || (rec.type === 'D' && isDoneMeta(rec.meta) && rec.meta.id !== '' && !isQueueId(rec.meta.id))) {
        // a queue id that is not ours (it could name a path: "../../x") is never used
        await quarantine(name, rec.offset, buf.subarray(rec.offset, pos), 'queue id');
      } else if (rec.type === 'M' && isMessageMeta(rec.meta)) {
        const meta = rec.meta;
        const prev = entries.get(meta.id);
        const done = new Set([...(prev?.done ?? []), ...(meta.done ?? []), ...(doneEarly.get(meta.id) ?? [])]);
        entries.set(meta.id, { meta, seg, bodyOffset: rec.bodyOffset, bodyLength: rec.bodyLength, done });
      } else if (rec.type === 'D' && isDoneMeta(rec.meta)) {
        // the empty id: a probe written while the disk was full (spool.ts probe())
        if (rec.meta.id === '') continue;
        const e = entries.get(rec.meta.id);
        if (e) for (const i of rec.meta.done) e.done.add(i);
        else {
          const early = doneEarly.get(rec.meta.id);
          if (early) for (const i of rec.meta.done) early.push(i);
          else doneEarly.set(rec.meta.id, [...rec.meta.done]);
        }
      } else {
        await quarantine(name, rec.offset, buf.subarray(rec.offset, pos), 'meta');
      }
    }
  }
  const pending: SpoolEntry[] = [];
  for (const e of entries.values()) {
    if (e.done.size >= e.meta.rcpt.length) continue;
    e.seg.live.add(e.meta.id);
    pending.push(e);
  }
  if (names.length > 0) log({ event: 'recover', segments: names.length, messages: pending.length });
  return { segments, entries: pending, nextSeq };
}

/** The offset of the next record that decodes after a damaged one, or the end. */
function nextRecord(buf: Buffer, from: number): number {
  let at = buf.indexOf(MAGIC, from);
  while (at >= 0) {
    if (decodeRecord(buf, at).ok) return at;
    at = buf.indexOf(MAGIC, at + 1);
  }
  return buf.length;
}
