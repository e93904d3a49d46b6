import { SMTPServer } from 'smtp-server';
import { SINK_SERVER } from './sink.js';

/** One transaction the sink completed (it received the whole message). */
export interface SinkTransaction {
  readonly session: string;
  readonly messageId: string;
  readonly to: readonly string[];
  readonly size: number;
}

export interface CountingSinkOptions {
  /** Port to listen on (0: any). */
  readonly port?: number;
  /** Hold the reply to the end of DATA until release() (a next hop slow to answer). */
  readonly hold?: boolean;
  /** Answer "too many recipients" to every RCPT after this many in a transaction. */
  readonly rcptLimit?: number;
  /** The reply code for that: 452 4.5.3 (default), or 552 5.5.3 (RFC 5321 section 4.5.3.1.10 says to take it as 452). */
  readonly rcptLimitCode?: 452 | 552;
}

/** A next hop that counts what it receives per Message-ID. */
export interface CountingSink {
  readonly port: number;
  readonly transactions: SinkTransaction[];
  /** Transactions whose Message-ID is `id` (each is a delivery: the sink says 250 to all). */
  count(id: string): number;
  /** Replies held so far (see `hold`). */
  held(): number;
  /** Sends the held replies (250) and holds no more. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A real SMTP next hop on loopback (smtp-server) for the fault tests: it records every
 * message it received in full by Message-ID, so a test can count deliveries per message
 * (exactly once, or how many duplicates), can hold its final replies (a slow next hop)
 * and can enforce a recipient limit per transaction (RFC 5321 section 4.5.3.1.10).
 */
export async function startCountingSink(options: CountingSinkOptions = {}): Promise<CountingSink> {
  const transactions: SinkTransaction[] = [];
  let holding = options.hold ?? false;
  const held: (() => void)[] = [];
  const rcpts = new Map<string, number>();
  const server = new SMTPServer({
    ...SINK_SERVER,
    disabledCommands: [...SINK_SERVER.disabledCommands],
    size: 64 * 1024 * 1024,
    maxClients: 1000,
    onMailFrom(_address, session, cb) {
      rcpts.set(session.id, 0);
      cb();
    },
    onRcptTo(_address, session, cb) {
      const n = (rcpts.get(session.id) ?? 0) + 1;
      rcpts.set(session.id, n);
      if (options.rcptLimit !== undefined && n > options.rcptLimit) {
        const code = options.rcptLimitCode ?? 452;
        cb(Object.assign(new Error(`${code === 452 ? '4.5.3' : '5.5.3'} too many recipients`), { responseCode: code }));
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      let head = '';
      let size = 0;
      stream.on('data', (c: Buffer) => {
        if (head.length < 8192) head += c.toString('latin1', 0, Math.min(c.length, 8192));
        size += c.length;
      });
      stream.on('end', () => {
        transactions.push({ session: session.id, messageId: /^Message-ID: *(<[^>\r\n]*>)/im.exec(head)?.[1] ?? '?', to: session.envelope.rcptTo.map((r) => r.address), size });
        if (holding) held.push(() => cb(null, 'queued'));
        else cb(null, 'queued');
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(options.port ?? 0, '127.0.0.1', () => r()));
  const a = server.server.address();
  return {
    port: typeof a === 'object' && a ? a.port : (options.port ?? 0),
    transactions,
    count: (id) => transactions.filter((t) => t.messageId === id).length,
    held: () => held.length,
    release() {
      holding = false;
      for (const r of held.splice(0)) r();
    },
    close: () =>
      new Promise((r) => {
        holding = false;
        held.length = 0;
        server.close(() => r());
        // connections of a stopped relay may linger: do not wait for their idle timeout
        for (const c of (server as unknown as { connections: Set<{ close(): void }> }).connections) c.close();
      }),
  };
}
