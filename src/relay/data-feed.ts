import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

type Callback = (err?: Error | null) => void;

const LF_DOT = Buffer.from('\n.', 'latin1');
/** Bytes smtp-server holds back at the end of each chunk (a terminator may straddle chunks). */
const HELD = 4;
/** Shorter chunks are left to smtp-server (nothing to gain; keeps the fast path simple). */
const MIN_FAST = 64;

/** smtp-server's own DATA parser step, used for every chunk the fast path does not take. */
const smtpServerFeed = SMTPStream.prototype._feedDataStream;

/**
 * A faster `SMTPStream#_feedDataStream` for the common chunk of message data: one that
 * contains no line beginning with "." (so neither an escape dot to remove nor the end of
 * the data), checked with two native `indexOf` searches for "\n." instead of smtp-server's
 * JavaScript loop over every byte (about 8% of the relay's CPU at 100 KB per message).
 *
 * For such a chunk smtp-server's own code (smtp-server 3.x `dist/esm/smtp-stream.js`)
 * does exactly this: it prefixes the bytes it held back from the previous chunk, finds
 * nothing in its loop, holds back the last 4 bytes and writes the rest to the data
 * stream, counting them. We do the same without copying the chunk to prefix the held
 * bytes (they are written first, as their own piece). Every other chunk: the first of a
 * DATA (`_atDataStart`: "." or ".." at the very start), short ones, and any with "\n."
 * (escape dots, the terminator, whether in the chunk or across the held bytes), goes to
 * smtp-server's own function untouched, so dot handling and the end of DATA (the SMTP
 * smuggling defences) stay smtp-server's. test/relay/data-feed.test.ts compares both on
 * random chunkings of random data, terminators and pipelined commands included.
 */
export function fastFeedDataStream(this: SMTPStream, chunk: Buffer, done: Callback): void {
  const held = this._lastBytes || undefined;
  const dataStream = this._dataStream;
  if (
    this._atDataStart ||
    !dataStream ||
    chunk.length < MIN_FAST ||
    (held !== undefined && (held.length > HELD || held.indexOf(LF_DOT) >= 0 || (held[held.length - 1] === 0x0a && chunk[0] === 0x2e))) ||
    chunk.indexOf(LF_DOT) >= 0
  ) {
    smtpServerFeed.call(this, chunk, done);
    return;
  }
  const body = chunk.subarray(0, chunk.length - HELD);
  this._lastBytes = chunk.subarray(chunk.length - HELD);
  this._countDataBytes((held?.length ?? 0) + body.length);
  if (!dataStream.writable) {
    done();
    return;
  }
  if (held && held.length > 0) dataStream.write(held);
  if (dataStream.write(body) || dataStream.destroyed) {
    done();
    return;
  }
  // wait for the consumer as smtp-server does (a destroyed stream never drains, it closes)
  const onDrain = (): void => {
    dataStream.removeListener('drain', onDrain);
    dataStream.removeListener('close', onDrain);
    done();
  };
  dataStream.once('drain', onDrain);
  dataStream.once('close', onDrain);
}

/**
 * Gives one smtp-server parser the fast DATA step (an own property shadowing the
 * prototype's method, which `SMTPStream#_write` calls as `this._feedDataStream(chunk, done)`).
 * Installs nothing when the parser lacks the state the fast path relies on (a different
 * smtp-server): its own code then runs as before.
 */
export function useFastDataFeed(parser: SMTPStream): boolean {
  const p = parser as unknown as Record<string, unknown>;
  if (typeof p['_feedDataStream'] !== 'function' || typeof p['_countDataBytes'] !== 'function' || !('_lastBytes' in p) || !('_atDataStart' in p)) return false;
  parser._feedDataStream = fastFeedDataStream;
  return true;
}
