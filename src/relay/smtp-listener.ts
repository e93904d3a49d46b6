import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { useFastDataFeed } from './data-feed.js';

/**
 * smtp-server's SMTPConnection.init() holds every new client for a fixed 100 ms before
 * the greeting, to catch clients that talk first (the delay is hard-coded: no option in
 * smtp-server 3.x, upstream lib/smtp-connection.js init() has the same literal). That is
 * right for the internet side and wasteful between the systems of one chain: it alone caps
 * 20 one-message sessions at about 190 messages per second. We make it a setting by the
 * routes the package supports instead of patching node_modules:
 *
 * - `smtp-server/lib/smtp-connection.js` is a public subpath of the package ("exports"
 *   maps ./lib/*.js, with type declarations), so SMTPConnection can be subclassed;
 * - `SMTPServer#connect(socket, options)` is the documented public method that turns an
 *   accepted socket into a connection, so a subclass of the server can create ours.
 *
 * RelayConnection overrides the public `init()`/`connectionReady()` pair: it lets the
 * base init() set up its listeners and the maxClients check, ignores the base's 100 ms
 * timer, and starts the session itself after our delay (at once when it is 0). Until
 * then the base's own early-talker check answers "421 You talk too soon" as before.
 */
export class RelayConnection extends SMTPConnection {
  readonly #delay: number;
  readonly #commandDeadline: number;
  #started = false;
  #deadline: NodeJS.Timeout | undefined;

  constructor(server: SMTPServer, socket: Socket | TLSSocket, options: SMTPConnectionOptions | null | undefined, delay: number, commandDeadline = 0) {
    super(server, socket, options);
    this.#delay = delay;
    this.#commandDeadline = commandDeadline;
  }

  override init(): void {
    super.init();
    this.#watchCommandLines();
    const start = (): void => {
      if (this.#started || this._closing || this._closed) return;
      this.#started = true;
      super.connectionReady();
    };
    if (this.#delay > 0) setTimeout(start, this.#delay).unref();
    else setImmediate(start);
  }

  /**
   * A deadline per command line, like Postfix's smtpd_per_record_deadline: smtp-server's
   * socketTimeout restarts with every byte, so a client trickling one byte at a time could
   * hold a session (and a maxClients slot) for maxCommandLength x idleTimeout. The timer
   * starts when a line begins and stops at its LF; DATA has its own timeout. After STARTTLS
   * the plaintext socket no longer carries commands and the watch ends (the idle timeout
   * still applies).
   */
  #watchCommandLines(): void {
    if (this.#commandDeadline <= 0) return;
    const internals = this as unknown as { _socket: Socket; _parser?: { _dataMode?: boolean } };
    const socket = internals._socket;
    const stop = (): void => {
      if (this.#deadline) clearTimeout(this.#deadline);
      this.#deadline = undefined;
    };
    socket.on('data', (chunk: Buffer) => {
      if (internals._socket !== socket || internals._parser?._dataMode) return stop();
      if (chunk.lastIndexOf(0x0a) !== -1) stop();
      if (chunk[chunk.length - 1] !== 0x0a && !this.#deadline) {
        this.#deadline = setTimeout(() => {
          this.#deadline = undefined;
          if (this._closing || this._closed || internals._socket !== socket || internals._parser?._dataMode) return;
          this.send(421, '4.4.2 command line not completed in time, closing connection');
          this.close();
        }, this.#commandDeadline);
        this.#deadline.unref();
      }
    });
    socket.once('close', stop);
  }

  /**
   * The command parser of the session (smtp-server creates one per connection and another
   * after STARTTLS, through this declared method), with the fast DATA step of data-feed.ts.
   */
  override _createParser(): SMTPStream {
    const parser = super._createParser();
    useFastDataFeed(parser);
    return parser;
  }

  /**
   * smtp-server hands MAIL FROM/RCPT TO addresses over with the domain converted to Unicode
   * (punycode.toUnicode), so `x@xn--r8jz45g.jp` would look like a non-ASCII address and need
   * SMTPUTF8. An A-label is ASCII (RFC 5890 section 2.3.2.1; RFC 6531 section 3.4 asks
   * SMTPUTF8 only for non-ASCII): the address as the client wrote it is kept beside it
   * ({@link writtenAddress}), and the session checks that one.
   */
  override _parseAddressCommand(rawName: string, rawCommand: Buffer | string): ReturnType<SMTPConnection['_parseAddressCommand']> {
    const parsed = super._parseAddressCommand(rawName, rawCommand);
    if (parsed) {
      const m = /^[^:]*:\s*<([^<>]*)>/.exec(rawCommand.toString());
      if (m?.[1] !== undefined) Object.defineProperty(parsed, WRITTEN, { value: m[1], enumerable: false });
    }
    return parsed;
  }

  /** Called by the base init()'s fixed timer: superseded by the start in init() above. */
  override connectionReady(): void {
    // intentionally empty
  }

  /**
   * Replies whose text already begins with an enhanced status code (ours: "5.7.1 relay
   * access denied") are sent as they are; smtp-server would otherwise prefix its generic
   * code for the reply code (554 -> 5.6.0), and the client would see the wrong reason.
   */
  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (typeof data === 'string' && /^[245]\.\d{1,3}\.\d{1,3} /.test(data)) {
      super.send(code, data, false);
      return;
    }
    super.send(code, data, context);
  }
}

const WRITTEN = Symbol('written address');

/**
 * The address of a MAIL FROM or RCPT TO as the client wrote it (between the angle brackets,
 * a source route included), or smtp-server's form when it was not parsed by a RelayConnection.
 */
export function writtenAddress(address: { readonly address: string }): string {
  const w = (address as { [WRITTEN]?: unknown })[WRITTEN];
  return typeof w === 'string' ? w : address.address;
}

/** An SMTPServer whose connections are RelayConnections with our greeting delay. */
export class RelayServer extends SMTPServer {
  readonly #delay: number;
  /** Connections by session id (data timeouts close them). */
  readonly byId = new Map<string, RelayConnection>();

  readonly #commandDeadline: number;

  constructor(options: SMTPServerOptions, greetingDelay: number, commandDeadline = 0) {
    super(options);
    this.#delay = greetingDelay;
    this.#commandDeadline = commandDeadline;
  }

  /** As SMTPServer#connect, with our connection class. */
  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new RelayConnection(this, socket, socketOptions, this.#delay, this.#commandDeadline);
    this.connections.add(connection);
    this.byId.set(connection.id, connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (data) => this._onClientConnect(data));
    socket.once('close', () => this.byId.delete(connection.id));
    connection.init();
  }
}
