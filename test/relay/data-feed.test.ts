import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { describe, expect, it } from 'vitest';
import { fastFeedDataStream, useFastDataFeed } from '../../src/relay/data-feed.js';
import { RelayConnection } from '../../src/relay/smtp-listener.js';
import { rng } from '../support/rng.js';

/**
 * The relay's fast DATA step (src/relay/data-feed.ts) takes over smtp-server's
 * `_feedDataStream` for chunks without a line that begins with "."; everything else stays
 * smtp-server's. These tests feed the same input, cut into chunks at random places, to a
 * parser with smtp-server's own step and to one with ours, and require the same commands,
 * the same message bytes and the same byte counts. They fail when smtp-server changes what
 * its parser does with such chunks, or stops creating parsers through `_createParser()`.
 */

/** What a parser made of `chunks`: each command line, and each message's data and size. */
async function transcript(chunks: readonly Buffer[], fast: boolean, maxBytes = 1000): Promise<string[]> {
  const parser = new SMTPStream();
  if (fast) expect(useFastDataFeed(parser)).toBe(true);
  const out: string[] = [];
  parser.oncommand = (command: Buffer, callback?: () => void): void => {
    const line = command.toString('latin1');
    out.push(`cmd ${JSON.stringify(line)}`);
    if (line.toUpperCase() === 'DATA') {
      const ds = parser.startDataMode(maxBytes);
      const data: Buffer[] = [];
      ds.on('data', (b: Buffer) => data.push(b));
      ds.on('end', () => {
        out.push(`data ${JSON.stringify(Buffer.concat(data).toString('latin1'))} bytes=${parser.dataBytes} exceeded=${ds.sizeExceeded}`);
        // like smtp-server's handler, the reply (and the next command) comes a little later
        setImmediate(() => parser.continue());
      });
    }
    callback?.();
  };
  const finished = new Promise<void>((r) => parser.on('finish', () => r()));
  for (const c of chunks) {
    await new Promise<void>((r) => {
      if (parser.write(c)) r();
      else parser.once('drain', () => r());
    });
  }
  parser.end();
  // some inputs leave smtp-server's parser waiting (with its own step too): compare the
  // state it is left in then
  const done = await Promise.race([finished.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30))]);
  // let the last continue() run
  await new Promise((r) => setTimeout(r, 5));
  out.push(`finished=${done} dataMode=${parser._dataMode} bytes=${parser.dataBytes}`);
  return out;
}

/** A session: commands and messages whose data is rich in dots, CR, LF and look-alike terminators. */
function randomSession(next: () => number): Buffer {
  const parts: string[] = [];
  const messages = 1 + Math.floor(next() * 3);
  for (let m = 0; m < messages; m++) {
    parts.push('MAIL FROM:<a@b>\r\n', 'DATA\r\n');
    const pieces = Math.floor(next() * 60);
    for (let i = 0; i < pieces; i++) {
      const r = next();
      if (r < 0.45) parts.push('x'.repeat(1 + Math.floor(next() * 120)));
      else if (r < 0.65) parts.push('\r\n');
      else if (r < 0.75) parts.push('\r\n.');
      else if (r < 0.8) parts.push('\r\n..');
      else if (r < 0.85) parts.push('.');
      else if (r < 0.9) parts.push('\n');
      else if (r < 0.93) parts.push('\r');
      else if (r < 0.96) parts.push('\n.\n');
      else parts.push('\r\n.\r');
    }
    parts.push('\r\n.\r\n');
    if (next() < 0.5) parts.push('NOOP\r\n');
  }
  parts.push('QUIT\r\n');
  return Buffer.from(parts.join(''), 'latin1');
}

function randomChunks(next: () => number, buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    // mostly chunks long enough for the fast path, some tiny ones
    const len = next() < 0.2 ? 1 + Math.floor(next() * 6) : 60 + Math.floor(next() * 400);
    out.push(Buffer.from(buf.subarray(pos, pos + len)));
    pos += len;
  }
  return out;
}

describe('fast DATA step for the relay', () => {
  it('parses like smtp-server on random sessions in random chunkings', async () => {
    const next = rng(2026);
    for (let round = 0; round < 300; round++) {
      const session = randomSession(next);
      const chunks = randomChunks(next, session);
      const [theirs, ours] = await Promise.all([transcript(chunks, false), transcript(chunks, true)]);
      expect(ours, JSON.stringify(session.toString('latin1'))).toEqual(theirs);
    }
  });

  it('parses a 100 KB message in socket-sized chunks like smtp-server, size limit included', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 1300; i++) lines.push(i === 700 ? '..dot' : 'X'.repeat(78));
    const session = Buffer.from(`DATA\r\n${lines.join('\r\n')}\r\n.\r\nQUIT\r\n`, 'latin1');
    const chunks: Buffer[] = [];
    for (let pos = 0; pos < session.length; pos += 65536) chunks.push(session.subarray(pos, pos + 65536));
    for (const max of [50_000, 200_000]) {
      const [theirs, ours] = await Promise.all([transcript(chunks, false, max), transcript(chunks, true, max)]);
      expect(ours).toEqual(theirs);
    }
  });

  it('takes over the chunks without "\\n." and leaves the others to smtp-server', async () => {
    const parser = new SMTPStream();
    expect(useFastDataFeed(parser)).toBe(true);
    expect(parser._feedDataStream).toBe(fastFeedDataStream);
    parser.oncommand = (command: Buffer, cb?: () => void): void => {
      if (command.toString() === 'DATA') parser.startDataMode().resume();
      cb?.();
    };
    const write = (b: Buffer): Promise<void> => new Promise((r) => parser.write(b, () => r()));
    /** Whether the bytes held back after `b` are still part of `b` (smtp-server's step copies them). */
    const heldInPlace = (b: Buffer): boolean => {
      const held = parser._lastBytes;
      return held !== false && held.buffer === b.buffer && held.byteOffset === b.byteOffset + b.length - 4;
    };
    await write(Buffer.from('DATA\r\n', 'latin1'));
    await write(Buffer.from(`first ${'a'.repeat(100)}\r\n`, 'latin1'));
    const plain = Buffer.alloc(200, 0x62);
    await write(plain);
    expect(heldInPlace(plain)).toBe(true);
    const stuffed = Buffer.from(`\r\n.stuffed ${'d'.repeat(100)}\r\n`, 'latin1');
    await write(stuffed);
    expect(heldInPlace(stuffed)).toBe(false);
  });

  it('is installed on the parsers of relay sessions', () => {
    // RelayConnection overrides smtp-server's declared _createParser(); the base method
    // only needs the server's options, the command handler and send()
    const fake = { _server: { options: {} }, _onCommand: () => undefined, send: () => undefined };
    const parser = (RelayConnection.prototype._createParser as (this: unknown) => SMTPStream).call(fake);
    expect(parser).toBeInstanceOf(SMTPStream);
    expect(parser._feedDataStream).toBe(fastFeedDataStream);
  });
});
