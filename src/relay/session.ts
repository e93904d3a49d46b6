import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { RoutingTable } from '../routing/table.js';
import type { RelayLog } from './log.js';
import { MessageBody } from './body.js';
import { receivedHeader, scanMessage } from './message.js';
import type { DeliveryQueue } from './queue.js';
import { queueId } from './queue-id.js';
import { routeRecipient, type SelfCheck } from './route.js';
import { writtenAddress, type RelayServer } from './smtp-listener.js';
import type { Spool } from './spool/spool.js';
import type { RelayLimits } from './types.js';

export interface SessionDeps {
  readonly table: () => RoutingTable;
  readonly spool: Spool;
  readonly queue: DeliveryQueue;
  readonly log: RelayLog;
  readonly hostname: string;
  readonly limits: RelayLimits;
  readonly maxSize: number;
  readonly isSelf: SelfCheck;
  readonly server: () => RelayServer | undefined;
}

type Callback = (err?: Error | null) => void;

/** An SMTP reply as an error for smtp-server: the code, and text that starts with the enhanced status. */
export function reply(code: number, status: string, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(`${status} ${text}`), { responseCode: code });
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The SMTP side of the relay as smtp-server hooks: who may connect, which recipients are
 * accepted (the routing table decides, through the same resolve() as the simulator), and
 * what happens at the end of DATA (checks, Received:, the durable spool write, then 250).
 */
/**
 * Messages up to this size are joined into one buffer at the end of DATA: a copy of a few
 * kilobytes costs less than a stream of pieces at delivery, and holds exactly the message,
 * where a chunk is a view of a socket read that may hold more (the next commands).
 */
const JOIN_MAX = 256 * 1024;

export class SessionHandlers {
  readonly #d: SessionDeps;
  readonly #perAddress = new Map<string, number>();
  readonly #counted = new Set<string>();
  readonly #errors = new Map<string, number>();
  /** Bytes of DATA held by all sessions. */
  #buffered = 0;

  constructor(deps: SessionDeps) {
    this.#d = deps;
  }

  /** Origin of mail arriving here for resolve(): nobody earns relay rights by address, loopback included. */
  #origin(): 'internet' | 'peer' {
    return this.#d.table().gateway ? 'internet' : 'peer';
  }

  onConnect = (session: SMTPServerSession, cb: Callback): void => {
    const ip = session.remoteAddress;
    const n = (this.#perAddress.get(ip) ?? 0) + 1;
    this.#d.log({ event: 'connect', session: session.id, client: ip, port: session.remotePort });
    if (n > this.#d.limits.maxClientsPerAddress) {
      this.#d.log({ event: 'refuse', session: session.id, client: ip, stage: 'CONNECT', code: 421, status: '4.7.0', reason: 'too many connections from this address' });
      cb(reply(421, '4.7.0', `too many connections from ${ip}, try again later`));
      return;
    }
    this.#perAddress.set(ip, n);
    this.#counted.add(session.id);
    cb();
  };

  onClose = (session: SMTPServerSession): void => {
    this.#errors.delete(session.id);
    if (!this.#counted.delete(session.id)) return;
    const ip = session.remoteAddress;
    const n = (this.#perAddress.get(ip) ?? 1) - 1;
    if (n <= 0) this.#perAddress.delete(ip);
    else this.#perAddress.set(ip, n);
  };

  onMailFrom = (address: SMTPServerAddress, session: SMTPServerSession, cb: Callback): void => {
    const args = address.args || {};
    // RFC 6531 section 3.4: a non-ASCII address needs the SMTPUTF8 parameter
    if (NON_ASCII.test(writtenAddress(address)) && !args['SMTPUTF8']) {
      cb(this.#refuse(session, 'MAIL', address.address, reply(553, '5.6.7', 'a non-ASCII sender address needs the SMTPUTF8 parameter')));
      return;
    }
    void this.#storage().then((problem) => cb(problem ? this.#refuse(session, 'MAIL', address.address, problem) : undefined));
  };

  /**
   * Room in the spool for one more message, asked at MAIL FROM as Postfix's smtpd does
   * (postconf queue_minfree: refused while less than 1.5 times message_size_limit is
   * free), so a filling disk refuses new mail before it has no room left for the records
   * of deliveries; and nothing while the spool cannot record at all.
   */
  async #storage(): Promise<(Error & { responseCode: number }) | undefined> {
    const full = reply(452, '4.3.1', 'insufficient system storage, try again later');
    // a client asking is the moment to find out whether the spool can record again
    if (!this.#d.spool.writable && !(await this.#d.spool.probe())) return full;
    try {
      return (await this.#d.spool.freeBytes()) < 1.5 * this.#d.maxSize ? full : undefined;
    } catch {
      // statfs unsupported here: the write itself decides (452 at the end of DATA)
      return undefined;
    }
  }

  onRcptTo = (address: SMTPServerAddress, session: SMTPServerSession, cb: Callback): void => {
    const mailArgs = (session.envelope.mailFrom && session.envelope.mailFrom.args) || {};
    if (NON_ASCII.test(writtenAddress(address)) && !mailArgs['SMTPUTF8']) {
      cb(this.#refuse(session, 'RCPT', address.address, reply(553, '5.6.7', 'a non-ASCII recipient address needs SMTPUTF8 on MAIL FROM')));
      return;
    }
    const r = routeRecipient(this.#d.table(), address.address, this.#origin(), 0, this.#d.isSelf);
    if (r.kind === 'fail') {
      cb(this.#refuse(session, 'RCPT', address.address, reply(r.code, r.status, r.code === 554 && r.status === '5.7.1' ? `<${address.address}>: relay access denied (${r.reason})` : `<${address.address}>: ${r.reason}`)));
      return;
    }
    cb();
  };

  onData = (stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    const limits = this.#d.limits;
    const release = (): void => {
      this.#buffered -= size;
      size = 0;
    };
    // a client that trickles its message keeps a session and its memory: bounded in time
    const timer = setTimeout(() => {
      this.#d.log({ event: 'refuse', session: session.id, client: session.remoteAddress, stage: 'DATA', code: 421, status: '4.4.2', reason: 'data timeout' });
      this.#d.server()?.byId.get(session.id)?.close();
    }, limits.dataTimeout);
    timer.unref();
    stream.on('data', (chunk: Buffer) => {
      if (overflow || stream.sizeExceeded) return;
      if (this.#buffered + chunk.length > limits.dataMemory) {
        // beyond the memory budget the rest is read and dropped: 452 at the end
        overflow = true;
        release();
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
      this.#buffered += chunk.length;
    });
    // a client that vanishes mid-DATA: smtp-server destroys the stream ('error', 'close')
    let ended = false;
    const abandon = (): void => {
      clearTimeout(timer);
      if (!ended) release();
    };
    stream.on('error', abandon);
    stream.on('close', abandon);
    stream.on('end', () => {
      clearTimeout(timer);
      ended = true;
      const data = { chunks: chunks.splice(0), size };
      // still counted until the spool has it: these chunks are the message #finish spools and queues
      void this.#finish(session, stream, data, overflow).finally(release).then(
        (id) => cb(null, `2.0.0 Ok: queued as ${id}`),
        (e: Error) => cb(e),
      );
    });
  };

  /** The end of DATA: `data` is the message as received (dot-unstuffed), in the chunks it came in. */
  async #finish(session: SMTPServerSession, stream: SMTPServerDataStream, data: { chunks: Buffer[]; size: number }, overflow: boolean): Promise<string> {
    const env = session.envelope;
    const from = env.mailFrom ? env.mailFrom.address : '';
    const rcpt = env.rcptTo.map((r) => r.address);
    const stage = (e: Error & { responseCode: number }): Error => this.#refuse(session, 'DATA', rcpt.join(','), e);
    if (stream.sizeExceeded) throw stage(reply(552, '5.3.4', `message exceeds the size limit of ${this.#d.maxSize} bytes`));
    if (overflow) throw stage(reply(452, '4.3.1', 'insufficient system resources, try again later'));
    const args = (env.mailFrom && env.mailFrom.args) || {};
    const utf8 = Boolean(args['SMTPUTF8']);
    const now = Date.now();
    const id = queueId(now);
    const received = receivedHeader({
      helo: session.hostNameAppearsAs || '',
      clientIp: session.remoteAddress,
      hostname: this.#d.hostname,
      id,
      tls: Boolean(session.secure),
      utf8,
      ...(rcpt.length === 1 ? { for: rcpt[0]! } : {}),
      date: new Date(now),
    });
    // the checks look at the message alone; what is spooled and sent on is our Received:
    // and the chunks as they came, a large message never joined into a copy (issue 20: the
    // copy and the chunks were both held until the garbage collector freed the chunks)
    const scan = scanMessage(data.chunks, this.#d.limits.maxLineLength);
    if (scan.problem) throw stage(reply(scan.problem.code, scan.problem.status, scan.problem.text));
    const table = this.#d.table();
    if (scan.received >= table.hopLimit) {
      throw stage(reply(554, '5.4.6', `too many hops: ${scan.received} Received: headers reach the hop limit of ${table.hopLimit} (mail loop?)`));
    }
    // a small message is joined (exactly its bytes, where its chunks are views of whatever
    // the socket read with them); a large one is kept in its chunks
    const parts = [received, ...data.chunks];
    const body = data.size <= JOIN_MAX ? MessageBody.of(Buffer.concat(parts, received.length + data.size)) : new MessageBody(parts);
    data.chunks.length = 0;
    try {
      const entry = await this.#d.spool.addMessage(
        { v: 1, id, from, rcpt, arrival: now, received: scan.received, utf8, body8: String(args['BODY'] ?? '').toUpperCase() === '8BITMIME', client: session.remoteAddress },
        body,
      );
      this.#d.log({ event: 'accept', id, session: session.id, client: session.remoteAddress, from, to: rcpt, size: body.length });
      this.#d.queue.enqueue(entry, body);
      return id;
    } catch {
      // the spool logs that it cannot write once, not per message (spool.ts)
      throw stage(reply(452, '4.3.1', 'insufficient system storage, try again later'));
    }
  }

  /** Logs a refusal and counts it; past the error limit the session ends (421). */
  #refuse(session: SMTPServerSession, stage: string, address: string, err: Error & { responseCode: number }): Error {
    const [status, ...rest] = err.message.split(' ');
    this.#d.log({ event: 'refuse', session: session.id, client: session.remoteAddress, stage, address, code: err.responseCode, status, reason: rest.join(' ') });
    const n = (this.#errors.get(session.id) ?? 0) + 1;
    this.#errors.set(session.id, n);
    if (n > this.#d.limits.maxErrors && err.responseCode >= 500) {
      // postconf smtpd_hard_error_limit: a client probing addresses one by one is cut off
      return reply(421, '4.7.0', `too many errors, closing connection (${err.message})`);
    }
    return err;
  }
}
