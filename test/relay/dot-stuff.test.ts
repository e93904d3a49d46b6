import { createServer, type Socket } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import { describe, expect, it } from 'vitest';
import { dotStuffPositions, FastSMTPConnection, insertDots, useFastDotStuffing } from '../../src/relay/dot-stuff.js';
import { rng } from '../support/rng.js';

/**
 * The relay's dot-stuffing (src/relay/dot-stuff.ts) replaces the per-byte loop of
 * nodemailer's DataStream for CRLF-clean data and must write the same bytes. These tests
 * fail when nodemailer changes what DataStream writes or stops calling the
 * `_createSendStream()` that FastSMTPConnection overrides.
 */

/** What a DataStream writes for `chunks` (nodemailer's own transform, or ours when `fast`). */
async function through(chunks: readonly Buffer[], fast: boolean): Promise<{ out: Buffer; inBytes: number; outBytes: number }> {
  const s = new DataStream();
  if (fast) expect(useFastDotStuffing(s)).toBe(true);
  const out: Buffer[] = [];
  s.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise<void>((r) => s.on('end', () => r()));
  for (const c of chunks) s.write(c);
  s.end();
  await ended;
  return { out: Buffer.concat(out), inBytes: s.inByteCount, outBytes: s.outByteCount };
}

/** Random message data over an alphabet rich in dots, CR and LF; `clean` keeps every line end CRLF. */
function randomData(next: () => number, clean: boolean): Buffer {
  const parts: string[] = [];
  const n = Math.floor(next() * 40);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.25) parts.push('.');
    else if (r < 0.4) parts.push('..');
    else if (r < 0.6) parts.push('\r\n');
    else if (!clean && r < 0.7) parts.push('\r');
    else if (!clean && r < 0.8) parts.push('\n');
    else parts.push('abc x'.slice(0, 1 + Math.floor(next() * 5)));
  }
  return Buffer.from(parts.join(''), 'latin1');
}

/** Cuts `buf` into chunks at random places (empty chunks included). */
function randomChunks(next: () => number, buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const len = Math.floor(next() * 8);
    out.push(buf.subarray(pos, pos + len));
    pos += len;
  }
  return out;
}

describe('dot-stuffing for onward delivery', () => {
  it('finds the dots that begin lines, and refuses data with a bare CR or LF', () => {
    expect(dotStuffPositions(Buffer.from('.a\r\n..b\r\nc.d\r\n.'), false)).toEqual([0, 4, 14]);
    expect(dotStuffPositions(Buffer.from('.a'), 0x61)).toEqual([]);
    expect(dotStuffPositions(Buffer.from('.a'), 0x0a)).toEqual([0]);
    expect(dotStuffPositions(Buffer.from('\n.a'), 0x0d)).toEqual([1]);
    expect(dotStuffPositions(Buffer.from('a\r'), false)).toEqual([]);
    for (const bad of ['a\nb', 'a\rb\r\n', '\n', 'a\r\r\n', 'a\n\r\n']) expect(dotStuffPositions(Buffer.from(bad), false), bad).toBeUndefined();
    expect(dotStuffPositions(Buffer.from('a'), 0x0d)).toBeUndefined();
    expect(insertDots(Buffer.from('.a\r\n.b'), [0, 4]).toString()).toBe('..a\r\n..b');
  });

  it('writes what nodemailer DataStream writes, for CRLF-clean and broken data in any chunking', async () => {
    const next = rng(6);
    for (let round = 0; round < 1500; round++) {
      const data = randomData(next, round % 2 === 0);
      const chunks = round % 3 === 0 ? [data] : randomChunks(next, data);
      const [theirs, ours] = await Promise.all([through(chunks, false), through(chunks, true)]);
      expect(ours.out.toString('latin1'), JSON.stringify(data.toString('latin1'))).toBe(theirs.out.toString('latin1'));
      expect([ours.inBytes, ours.outBytes]).toEqual([theirs.inBytes, theirs.outBytes]);
    }
  });

  it('writes a 100 KB message the same way, dots and all', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 1300; i++) lines.push(i % 7 === 0 ? `.${'X'.repeat(77)}` : i % 11 === 0 ? '.' : 'X'.repeat(78));
    const msg = Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
    const [theirs, ours] = await Promise.all([through([msg], false), through([msg], true)]);
    expect(ours.out.equals(theirs.out)).toBe(true);
  });

  it('is used by FastSMTPConnection#send (nodemailer still creates its DataStream in _createSendStream)', async () => {
    expect(typeof (SMTPConnection.prototype as unknown as { _createSendStream?: unknown })._createSendStream).toBe('function');
    // a minimal SMTP server that records the DATA bytes as they arrive on the wire
    let wire = '';
    const server = createServer((sock: Socket) => {
      let inData = false;
      let buf = '';
      sock.write('220 test ESMTP\r\n');
      sock.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (;;) {
          if (inData) {
            const end = buf.indexOf('\r\n.\r\n');
            if (end < 0) return;
            wire = buf.slice(0, end + 5);
            buf = buf.slice(end + 5);
            inData = false;
            sock.write('250 2.0.0 queued\r\n');
            continue;
          }
          const nl = buf.indexOf('\r\n');
          if (nl < 0) return;
          const line = buf.slice(0, nl).toUpperCase();
          buf = buf.slice(nl + 2);
          if (line.startsWith('EHLO')) sock.write('250-test\r\n250 PIPELINING\r\n');
          else if (line.startsWith('DATA')) {
            inData = true;
            sock.write('354 go ahead\r\n');
          } else if (line.startsWith('QUIT')) sock.end('221 bye\r\n');
          else sock.write('250 ok\r\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const conn = new FastSMTPConnection({ host: '127.0.0.1', port, logger: false, ignoreTLS: true });
      await new Promise<void>((resolve, reject) => {
        conn.on('error', reject);
        conn.connect(() => resolve());
      });
      const before = FastSMTPConnection.fastStreams;
      const body = Buffer.from('Subject: t\r\n\r\n.one\r\ntwo\r\n..three\r\n.', 'latin1');
      const info = await new Promise<{ response?: string }>((resolve, reject) =>
        conn.send({ from: 'a@example.test', to: ['b@example.test'] }, body, (err, i) => (err ? reject(err) : resolve(i as { response?: string }))),
      );
      conn.quit();
      expect(info.response).toMatch(/^250/);
      expect(FastSMTPConnection.fastStreams).toBe(before + 1);
      expect(wire).toBe('Subject: t\r\n\r\n..one\r\ntwo\r\n...three\r\n..\r\n.\r\n');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
