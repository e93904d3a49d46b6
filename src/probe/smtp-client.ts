import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/**
 * A deliberately small SMTP client for `chainmail probe`. It knows EHLO, STARTTLS, MAIL,
 * RCPT, RSET and QUIT, and nothing else: there is no code path that could send DATA or
 * BDAT, so no probe can ever deliver a message (docs/probe.md). nodemailer's
 * SMTPConnection was not used because it does not let us control pipelining of RCPTs, and
 * its `send` path exists.
 */

/** One SMTP reply: its code, its enhanced status (RFC 3463) when given, and its text. */
export interface SmtpReply {
  readonly code: number;
  readonly status?: string;
  /** All lines, joined with " / " (a multi-line reply is one reply, RFC 5321 section 4.2.1). */
  readonly text: string;
}

/** Why a probe connection failed: no connection, the TLS handshake, or the dialogue itself. */
export class ProbeConnectionError extends Error {
  constructor(
    message: string,
    readonly kind: 'connect' | 'resolve' | 'tls' | 'protocol' | 'closed',
  ) {
    super(message);
  }
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  /** Milliseconds allowed for every read (greeting, each reply). */
  readonly timeout: number;
  readonly helo: string;
  readonly starttls: 'auto' | 'never' | 'require';
}

/** A reply longer than this is hostile (RFC 5321 section 4.5.3.1.5: a reply line is at most 512 octets). */
const MAX_BUFFER = 64 * 1024;

export class ProbeConnection {
  private socket: Socket | TLSSocket;
  private buffer = '';
  private lines: string[] = [];
  private waiting: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private ready: SmtpReply[] = [];
  private failed: Error | undefined;
  private readonly onData = (chunk: Buffer): void => this.feed(chunk.toString('utf8'));
  /** EHLO keywords, upper case (PIPELINING, STARTTLS, SMTPUTF8, SIZE ...). */
  extensions = new Set<string>();
  tls = false;

  private constructor(
    socket: Socket,
    private readonly options: ConnectOptions,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  /** Connects, reads the greeting, says EHLO (and STARTTLS when asked to). */
  static async open(options: ConnectOptions): Promise<ProbeConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ProbeConnectionError(`no connection within ${options.timeout / 1000} s`, 'connect'));
      }, options.timeout);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new ProbeConnectionError((e as NodeJS.ErrnoException).code ?? e.message, 'connect'));
      });
    });
    const c = new ProbeConnection(socket, options);
    try {
      const greeting = await c.read();
      if (greeting.code !== 220) throw new ProbeConnectionError(`greeting ${greeting.code} ${greeting.text}`, greeting.code === 421 || greeting.code === 554 ? 'closed' : 'protocol');
      await c.ehlo();
      const offered = c.extensions.has('STARTTLS');
      if (options.starttls === 'require' && !offered) throw new ProbeConnectionError('the server does not offer STARTTLS (--starttls require)', 'tls');
      if (offered && options.starttls !== 'never') await c.startTls();
      return c;
    } catch (e) {
      c.destroy();
      throw e;
    }
  }

  private attach(s: Socket | TLSSocket): void {
    s.on('data', this.onData);
    s.on('error', (e) => this.fail(new ProbeConnectionError((e as NodeJS.ErrnoException).code ?? e.message, this.tls ? 'tls' : 'closed')));
    s.on('close', () => this.fail(new ProbeConnectionError('the server closed the connection', 'closed')));
  }

  private async ehlo(): Promise<void> {
    const r = await this.command(`EHLO ${this.options.helo}`);
    if (r.code !== 250) throw new ProbeConnectionError(`EHLO refused: ${r.code} ${r.text}`, r.code === 421 ? 'closed' : 'protocol');
    // the first line is the greeting name; every other line one keyword (RFC 5321 section 4.1.1.1)
    this.extensions = new Set(r.text.split(' / ').slice(1).map((l) => (l.split(' ')[0] ?? '').toUpperCase()));
  }

  /** RFC 3207: STARTTLS, the handshake, then EHLO again (the extensions may change). */
  private async startTls(): Promise<void> {
    const r = await this.command('STARTTLS');
    if (r.code !== 220) throw new ProbeConnectionError(`STARTTLS refused: ${r.code} ${r.text}`, 'tls');
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      // a probe sends no message content: the certificate is recorded, not verified, so that a
      // staging copy with a self-signed certificate can be probed (docs/probe.md)
      const t = tlsConnect({ socket: raw, rejectUnauthorized: false, ...(/^[\d.:]+$/.test(this.options.host) ? {} : { servername: this.options.host }) });
      const timer = setTimeout(() => reject(new ProbeConnectionError('TLS handshake timed out', 'tls')), this.options.timeout);
      t.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(t);
      });
      t.once('error', (e) => {
        clearTimeout(timer);
        reject(new ProbeConnectionError(`TLS handshake failed: ${e.message}`, 'tls'));
      });
    });
    this.socket = secure;
    this.tls = true;
    this.attach(secure);
    await this.ehlo();
  }

  /** Sends one command and reads its reply. */
  async command(line: string): Promise<SmtpReply> {
    this.write([line]);
    return this.read();
  }

  /**
   * Sends several commands and reads one reply each: in one write when the server offers
   * PIPELINING (RFC 2920 section 3.1: MAIL, RCPT and RSET may be grouped), else one by one.
   */
  async commands(lines: readonly string[]): Promise<SmtpReply[]> {
    const pipelined = this.extensions.has('PIPELINING');
    if (pipelined) this.write(lines);
    const out: SmtpReply[] = [];
    for (const l of lines) {
      try {
        out.push(pipelined ? await this.read() : await this.command(l));
      } catch (e) {
        // the replies read so far count; the caller marks the rest as not answered
        if (out.length === 0) throw e;
        break;
      }
      // 421: the server is closing the channel (RFC 5321 section 3.8): nothing more will come
      if (out[out.length - 1]?.code === 421) break;
    }
    return out;
  }

  /** QUIT, then close; errors on the way out do not matter any more. */
  async quit(): Promise<void> {
    try {
      if (!this.failed) await this.command('QUIT');
    } catch {
      // the server may close first
    }
    this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private write(lines: readonly string[]): void {
    // the only commands are the ones this file builds; a CR or LF in an address would be a
    // second command (SMTP smuggling), so it is refused here, whatever the caller checked
    for (const l of lines) if (/[\r\n]/.test(l)) throw new ProbeConnectionError('a command contains a line break', 'protocol');
    if (this.failed) throw this.failed;
    this.socket.write(lines.map((l) => `${l}\r\n`).join(''));
  }

  private read(): Promise<SmtpReply> {
    const r = this.ready.shift();
    if (r) return Promise.resolve(r);
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new ProbeConnectionError(`no reply within ${this.options.timeout / 1000} s`, 'protocol'));
        this.destroy();
      }, this.options.timeout);
      this.waiting.push({ resolve, reject, timer });
    });
  }

  private feed(text: string): void {
    this.buffer += text;
    if (this.buffer.length > MAX_BUFFER) {
      this.fail(new ProbeConnectionError('the server sent an overlong reply', 'protocol'));
      this.destroy();
      return;
    }
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.lines.push(line);
      // "250-..." continues a reply, "250 ..." or "250" ends it (RFC 5321 section 4.2.1)
      if (/^\d{3}(?: |$)/.test(line) || !/^\d{3}-/.test(line)) this.deliver(this.reply(this.lines.splice(0)));
    }
  }

  private reply(lines: string[]): SmtpReply {
    const last = lines[lines.length - 1] ?? '';
    const code = /^\d{3}/.test(last) ? Number(last.slice(0, 3)) : 0;
    const texts = lines.map((l) => l.slice(4));
    const status = /^([245])\.\d{1,3}\.\d{1,3}(?= |$)/.exec(texts[0] ?? '')?.[0];
    return { code, ...(status ? { status } : {}), text: texts.join(' / ') };
  }

  private deliver(r: SmtpReply): void {
    const w = this.waiting.shift();
    if (!w) {
      this.ready.push(r);
      return;
    }
    clearTimeout(w.timer);
    w.resolve(r);
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }
}
