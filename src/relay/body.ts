import { Readable } from 'node:stream';

/**
 * A message as the relay holds it: the pieces it arrived in (our Received: field, then the
 * data chunks as smtp-server handed them over), never joined into one buffer. Joining them
 * at the end of DATA held every message twice until the garbage collector freed the chunks
 * (issue 20: the memory test's peak under load); the spool writes the pieces with one
 * writev, a Maildir delivery likewise, and the next hop reads them as a stream.
 */
export class MessageBody {
  readonly parts: readonly Buffer[];
  /** The length in bytes. */
  readonly length: number;

  constructor(parts: readonly Buffer[]) {
    this.parts = parts.filter((p) => p.length > 0);
    let n = 0;
    for (const p of this.parts) n += p.length;
    this.length = n;
  }

  static of(buf: Buffer): MessageBody {
    return new MessageBody([buf]);
  }

  /** Bytes `start` to `end` as one buffer: a view when they lie in one piece, else a copy. */
  slice(start: number, end = this.length): Buffer {
    const out: Buffer[] = [];
    let pos = 0;
    for (const p of this.parts) {
      const from = Math.max(start, pos);
      const to = Math.min(end, pos + p.length);
      if (from < to) out.push(p.subarray(from - pos, to - pos));
      pos += p.length;
      if (pos >= end) break;
    }
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  /** The message as a stream of its pieces (one per transaction: a stream is read once). */
  stream(): Readable {
    return Readable.from(this.parts, { objectMode: false });
  }
}
