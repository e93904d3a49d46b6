import { EventEmitter } from 'node:events';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import type { MessageBody } from '../../src/relay/body.js';
import { DEFAULT_LIMITS } from '../../src/relay/relay.js';
import { SessionHandlers, type SessionDeps } from '../../src/relay/session.js';
import type { RoutingTable } from '../../src/routing/table.js';

/**
 * What the end of DATA hands to the spool and the queue (issue 20): a large message as the
 * very chunks it arrived in, after our Received: field, not a joined copy of them; a small
 * one joined into one buffer. The handlers are driven directly, the spool and queue are
 * stand-ins that keep what they get.
 */
async function receive(chunks: Buffer[]): Promise<{ spooled: MessageBody; queued: MessageBody | undefined }> {
  let spooled: MessageBody | undefined;
  let queued: MessageBody | undefined;
  const deps = {
    table: () => ({ hopLimit: 50, gateway: true }) as RoutingTable,
    spool: { addMessage: (meta: { id: string }, body: MessageBody) => Promise.resolve(((spooled = body), { meta, bodyLength: body.length })) },
    queue: { enqueue: (_entry: unknown, body: MessageBody) => void (queued = body) },
    log: () => undefined,
    hostname: 'relay.test',
    limits: DEFAULT_LIMITS,
    maxSize: 64 * 1024 * 1024,
    isSelf: () => false,
    server: () => undefined,
  } as unknown as SessionDeps;
  const handlers = new SessionHandlers(deps);
  const session = { id: 's1', remoteAddress: '192.0.2.1', hostNameAppearsAs: 'client.test', secure: false, envelope: { mailFrom: { address: 'a@client.test', args: {} }, rcptTo: [{ address: 'b@relay.test', args: {} }] } } as unknown as SMTPServerSession;
  const stream = Object.assign(new EventEmitter(), { sizeExceeded: false }) as unknown as SMTPServerDataStream;
  const done = new Promise<string | undefined>((resolve, reject) => handlers.onData(stream, session, (err, message) => (err ? reject(err) : resolve(message))));
  for (const c of chunks) stream.emit('data', c);
  stream.emit('end');
  expect(await done).toMatch(/^2\.0\.0 Ok: queued as /);
  return { spooled: spooled!, queued };
}

/** A message of `lines` header-and-body lines, cut into chunks of `size` bytes. */
function message(lines: number, size: number): { whole: Buffer; chunks: Buffer[] } {
  const text = `Subject: pieces\r\n\r\n${Array.from({ length: lines }, (_, i) => `${i % 7 === 0 ? '.' : ''}line ${i} ${'x'.repeat(60)}`).join('\r\n')}\r\n`;
  const whole = Buffer.from(text, 'latin1');
  const chunks: Buffer[] = [];
  // each chunk its own memory, as a socket read is
  for (let i = 0; i < whole.length; i += size) {
    const c = Buffer.allocUnsafeSlow(Math.min(size, whole.length - i));
    whole.copy(c, 0, i, i + c.length);
    chunks.push(c);
  }
  return { whole, chunks };
}

describe('the end of DATA', () => {
  it('spools and queues a large message as its chunks, after our Received: field, with no copy', async () => {
    const { whole, chunks } = message(20_000, 65_536);
    expect(whole.length).toBeGreaterThan(1024 * 1024);
    const { spooled, queued } = await receive(chunks);
    expect(queued).toBe(spooled);
    expect(spooled.parts.length).toBe(chunks.length + 1);
    expect(spooled.parts[0]!.toString('latin1')).toMatch(/^Received: from client\.test \(\[192\.0\.2\.1\]\)\r\n\tby relay\.test \(chainmail\)/);
    // the chunks themselves: the same objects, not copies
    for (let i = 0; i < chunks.length; i++) expect(spooled.parts[i + 1]).toBe(chunks[i]);
    expect(spooled.slice(spooled.parts[0]!.length).equals(whole)).toBe(true);
  });

  it('joins a small message into one buffer of its own', async () => {
    const { whole, chunks } = message(20, 100);
    const { spooled } = await receive(chunks);
    expect(spooled.parts).toHaveLength(1);
    const part = spooled.parts[0]!;
    // a copy: no view of the memory the chunks came in (a socket read may hold more than them)
    for (const c of chunks) expect(part.buffer).not.toBe(c.buffer);
    expect(part.subarray(part.length - whole.length).equals(whole)).toBe(true);
  });
});
