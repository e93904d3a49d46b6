import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageBody } from '../../src/relay/body.js';
import { scanMessage, type MessageScan } from '../../src/relay/message.js';

/**
 * scanMessage() over the pieces a message arrives in (issue 20: the relay no longer joins
 * the chunks of DATA) gives what the one-buffer scan of the joined message gave: the
 * previous implementation, kept here as the oracle. Random messages over the bytes that
 * matter (CR, LF, NUL, "Received", ":", white space, "."), cut anywhere, every
 * maxLineLength from none to a few bytes.
 */
const RECEIVED = Buffer.from('received', 'latin1');

// the one-buffer scan as it was until session 9 (src/relay/message.ts at 95ef139)
function oneBuffer(buf: Buffer, maxLineLength: number): MessageScan {
  let received = 0;
  let headerLength = -1;
  let problem: MessageScan['problem'];
  if (buf.indexOf(0) >= 0) {
    problem = { code: 550, status: '5.6.0', text: 'message contains NUL characters (RFC 5321 section 4.1.4)' };
  }
  let pos = 0;
  const len = buf.length;
  while (pos < len) {
    const lf = buf.indexOf(0x0a, pos);
    const end = lf < 0 ? len : lf;
    const cr = buf.indexOf(0x0d, pos);
    if (lf < 0 || lf === pos || buf[lf - 1] !== 0x0d || (cr >= 0 && cr < lf - 1)) {
      problem ??= {
        code: 550,
        status: '5.6.0',
        text: 'message contains a bare CR or LF; lines must end with CRLF (RFC 5321 section 2.3.8)',
      };
      if (lf < 0) break;
    }
    const lineLength = end - 1 - pos;
    if (maxLineLength > 0 && lineLength > maxLineLength) {
      problem ??= { code: 550, status: '5.6.0', text: `message has a line longer than ${maxLineLength} characters (the relay's maxLineLength)` };
    }
    if (headerLength < 0) {
      if (lineLength <= 0) headerLength = lf + 1;
      else if (isReceived(buf, pos)) received++;
    }
    pos = lf + 1;
  }
  return { ...(problem ? { problem } : {}), received, headerLength: headerLength < 0 ? len : headerLength };
}
function isReceived(buf: Buffer, pos: number): boolean {
  if (buf.length - pos < 9) return false;
  for (let i = 0; i < 8; i++) {
    const c = buf[pos + i]! | 0x20;
    if (c !== RECEIVED[i]) return false;
  }
  let j = pos + 8;
  while (buf[j] === 0x20 || buf[j] === 0x09) j++;
  return buf[j] === 0x3a;
}

const byte = fc.constantFrom(...[0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x3a, 0x20, 0x09, 0x2e, 0x78, ...Buffer.from('ReceivedRECEIVED', 'latin1')]);
const line = fc.oneof(
  fc.array(byte, { maxLength: 12 }).map((b) => Buffer.from(b)),
  fc.constantFrom('Received: x\r\n', 'received :y\r\n', 'RECEIVED\t\t:\r\n', 'Received\r\n', 'Received\n', 'Received \t\n', 'Received:', '\r\n', 'x\r\n', '\n', '\r').map((t) => Buffer.from(t, 'latin1')),
);
const message = fc.array(line, { maxLength: 12 }).map((l) => Buffer.concat(l));

/** `buf` cut at the given offsets (sorted, deduplicated), empty pieces included. */
function cut(buf: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('scanMessage over pieces', () => {
  it('answers as the one-buffer scan of the joined message, wherever it is cut', () => {
    fc.assert(
      fc.property(message, fc.array(fc.nat(200), { maxLength: 8 }), fc.constantFrom(0, 1, 2, 3, 5, 8, 1000), (buf, at, max) => {
        const want: MessageScan = oneBuffer(buf, max);
        expect(scanMessage(buf, max)).toEqual(want);
        expect(scanMessage(cut(buf, at), max)).toEqual(want);
        // every byte its own piece
        expect(scanMessage([...buf].map((b) => Buffer.from([b])), max)).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['a CRLF split between pieces', ['Subject: x\r', '\nReceived: a\r\n\r\nbody\r\n'], 1, undefined],
    ['"Received:" split', ['Rece', 'ived', ' ', ':', ' x\r\n\r\n'], 1, undefined],
    ['a bare CR at a piece\'s end', ['a\r', 'b\r\n'], 0, '5.6.0'],
    ['a last line without LF', ['a\r\n', 'b'], 0, '5.6.0'],
  ])('%s', (_name, pieces, received, status) => {
    const scan = scanMessage(pieces.map((p) => Buffer.from(p, 'latin1')), 0);
    expect(scan.received).toBe(received);
    expect(scan.problem?.status).toBe(status);
  });
});

describe('MessageBody', () => {
  it('slices across pieces as the joined buffer does, and streams its bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(80), { maxLength: 6 }), fc.nat(80), fc.nat(80), async (bytes, at, a, b) => {
        const buf = Buffer.from(bytes);
        const body = new MessageBody(cut(buf, at));
        expect(body.length).toBe(buf.length);
        const [s, e] = [Math.min(a, b) % (buf.length + 1), Math.max(a, b) % (buf.length + 1)];
        expect(body.slice(s, Math.max(s, e))).toEqual(buf.subarray(s, Math.max(s, e)));
        const got: Buffer[] = [];
        for await (const chunk of body.stream()) got.push(chunk as Buffer);
        expect(Buffer.concat(got)).toEqual(buf);
      }),
      { numRuns: 300 },
    );
  });
});
