import type { TransformCallback } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';

/**
 * Where a chunk of message data needs an escape dot (RFC 5321 section 4.5.2: a line that
 * begins with "." is sent with one more), provided every line end in it is CRLF. Returns
 * `undefined` when the chunk has a bare CR or a bare LF: nodemailer's own DataStream
 * repairs those (to CRLF) and handles the rest of that chunk.
 *
 * `last` is the last byte of the previous chunk of the same message (`false` before the
 * first). A CR at the very end of the chunk is fine: the next chunk must begin with its LF.
 *
 * One `indexOf` per LF and per CR (native memchr) instead of a JavaScript loop over every
 * byte: about 40 us for 100 KB of 80-character lines, where nodemailer's loop takes ~0.5 ms.
 */
export function dotStuffPositions(chunk: Uint8Array, last: number | false): number[] | undefined {
  const len = chunk.length;
  const dots: number[] = [];
  let pos = 0;
  // does `pos` begin a line?
  let lineStart = last === false || last === 0x0a;
  if (last === 0x0d) {
    // the CR that ended the previous chunk must be followed by its LF
    if (chunk[0] !== 0x0a) return undefined;
    pos = 1;
    lineStart = true;
  }
  while (pos < len) {
    if (lineStart && chunk[pos] === 0x2e) dots.push(pos);
    const lf = chunk.indexOf(0x0a, pos);
    const cr = chunk.indexOf(0x0d, pos);
    if (lf < 0) {
      // the unfinished last line: a CR only as the chunk's last byte
      if (cr >= 0 && cr !== len - 1) return undefined;
      break;
    }
    // the line's first CR must be the one right before its LF (and the line not start with LF)
    if (lf === pos || cr !== lf - 1) return undefined;
    pos = lf + 1;
    lineStart = true;
  }
  return dots;
}

const DOT = Buffer.from('.', 'latin1');

/** `chunk` with an extra "." before each of `dots` (positions from {@link dotStuffPositions}). */
export function insertDots(chunk: Buffer, dots: readonly number[]): Buffer {
  if (dots.length === 0) return chunk;
  const parts: Buffer[] = [];
  let from = 0;
  for (const d of dots) {
    if (d > from) parts.push(chunk.subarray(from, d));
    parts.push(DOT);
    from = d;
  }
  if (from < chunk.length) parts.push(chunk.subarray(from));
  return Buffer.concat(parts, chunk.length + dots.length);
}

/** The fields of nodemailer's DataStream that its `_transform` maintains (declared in data-stream.d.ts). */
type DataStreamState = Pick<DataStream, 'inByteCount' | 'outByteCount' | 'lastByte' | 'push'>;
type TransformFn = (this: DataStream, chunk: Buffer | string, encoding: BufferEncoding, done: TransformCallback) => void;

/** nodemailer's own transform: the fallback for chunks with a bare CR or LF. */
const nodemailerTransform = (DataStream.prototype as unknown as { _transform: TransformFn })._transform;

/**
 * A drop-in for DataStream's `_transform` with the same output byte for byte: CRLF-clean
 * chunks (every message the relay accepted: scanMessage refuses bare CR and LF; and its
 * DSNs) are dot-stuffed with {@link dotStuffPositions}; any other chunk goes through
 * nodemailer's own code. The stream's counters and `lastByte` (which its `_flush` reads to
 * end the data with "\r\n.\r\n") are kept exactly as nodemailer keeps them.
 */
export function fastDataTransform(this: DataStream, chunk: Buffer | string, encoding: BufferEncoding, done: TransformCallback): void {
  if (typeof chunk === 'string' || chunk.length === 0) {
    nodemailerTransform.call(this, chunk, encoding, done);
    return;
  }
  const state: DataStreamState = this;
  const dots = dotStuffPositions(chunk, state.lastByte);
  if (!dots) {
    nodemailerTransform.call(this, chunk, encoding, done);
    return;
  }
  const out = insertDots(chunk, dots);
  state.inByteCount += chunk.length;
  state.outByteCount += out.length;
  state.push(out);
  state.lastByte = chunk[chunk.length - 1]!;
  done();
}

/**
 * Gives one of nodemailer's DataStreams the fast transform (an own property shadows the
 * prototype's `_transform`, which node's Transform calls on every write). Anything that is
 * not a DataStream is left alone. Returns whether it was installed.
 */
export function useFastDotStuffing(stream: unknown): boolean {
  if (!(stream instanceof DataStream)) return false;
  (stream as unknown as { _transform: TransformFn })._transform = fastDataTransform;
  return true;
}

interface SendStreamFactory {
  _createSendStream(callback: (err: Error | null, response?: string) => void): unknown;
}

/**
 * nodemailer's SMTP client with the fast dot-stuffing of the message data.
 *
 * `SMTPConnection#send(envelope, message)` has no way to take data that is already
 * escaped: it always writes the message through a DataStream (dot-stuffing, CRLF repair),
 * and that DataStream's per-byte JavaScript loop was the largest single cost of the relay
 * (~0.5 ms of ~2 ms CPU per 100 KB message). `send()` gets the DataStream from
 * `_createSendStream()` (nodemailer 10: `dist/esm/smtp-connection/index.js`, marked
 * internal, so not in the .d.ts), which also queues the reply handler and pipes the stream
 * into the socket. We override it only to give the stream it returns the transform above,
 * which writes the same bytes; the stream, its piping, counters and `_flush` stay
 * nodemailer's. Should a later nodemailer rename the method or stop using a DataStream,
 * the override is simply never called or installs nothing, and nodemailer's own code is
 * used (slower, still correct). test/relay/dot-stuff.test.ts fails in either case, and
 * when DataStream's output differs from ours on its corpus.
 */
export class FastSMTPConnection extends SMTPConnection {
  /** Streams that got the fast transform (tests check that the override is still used). */
  static fastStreams = 0;
  /**
   * Whether the message data of the current transaction started (the next hop answered
   * DATA with 354): from then on a lost connection may have left the message committed at
   * the next hop (the RFC 1047 window). next-hop.ts clears it before each transaction.
   */
  dataStarted = false;

  _createSendStream(callback: (err: Error | null, response?: string) => void): unknown {
    this.dataStarted = true;
    const stream = (SMTPConnection.prototype as unknown as SendStreamFactory)._createSendStream.call(this, callback);
    if (useFastDotStuffing(stream)) FastSMTPConnection.fastStreams++;
    return stream;
  }
}
