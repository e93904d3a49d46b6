import { connect, type Socket } from 'node:net';

/** One SMTP reply: the code and the text lines (without the code). */
export interface Reply {
  readonly code: number;
  readonly lines: readonly string[];
  /** All lines as received, joined with "\n". */
  readonly raw: string;
}

/**
 * A raw SMTP client for tests: writes exactly the bytes it is given (bare LFs, NULs,
 * pipelined bursts) and reads replies in order. Nothing is fixed up, unlike real clients.
 */
export class RawSmtp {
  readonly socket: Socket;
  #buf = '';
  #replies: Reply[] = [];
  #waiters: ((r: Reply | Error) => void)[] = [];
  #closed = false;
  #error: Error | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => this.#onData(d));
    socket.on('error', (e) => {
      this.#error = e;
    });
    socket.on('close', () => {
      this.#closed = true;
      for (const w of this.#waiters.splice(0)) w(this.#error ?? new Error('connection closed'));
    });
  }

  /** Connects and reads the greeting. */
  static async open(port: number, host = '127.0.0.1'): Promise<{ client: RawSmtp; greeting: Reply }> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawSmtp(socket);
    const greeting = await client.reply();
    return { client, greeting };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes raw bytes. */
  write(data: string | Buffer): void {
    if (!this.#closed) this.socket.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** The next reply (rejects when the connection closes first, or after `timeout` ms). */
  reply(timeout = 10_000): Promise<Reply> {
    const r = this.#replies.shift();
    if (r) return Promise.resolve(r);
    if (this.#closed) return Promise.reject(this.#error ?? new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error(`no reply within ${timeout} ms`));
      }, timeout);
      const w = (x: Reply | Error): void => {
        clearTimeout(timer);
        if (x instanceof Error) reject(x);
        else resolve(x);
      };
      this.#waiters.push(w);
    });
  }

  /** Sends one command line (CRLF added) and reads its reply. */
  async cmd(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Sends a whole transaction and returns the reply to the end of DATA (or the first failure). */
  async mail(from: string, to: readonly string[], data: Buffer | string, params = ''): Promise<{ ok: boolean; replies: Reply[] }> {
    const replies: Reply[] = [];
    const step = async (line: string): Promise<Reply> => {
      const r = await this.cmd(line);
      replies.push(r);
      return r;
    };
    if ((await step(`MAIL FROM:<${from}>${params}`)).code !== 250) return { ok: false, replies };
    let accepted = 0;
    for (const t of to) if ((await step(`RCPT TO:<${t}>`)).code === 250) accepted++;
    if (accepted === 0) return { ok: false, replies };
    if ((await step('DATA')).code !== 354) return { ok: false, replies };
    this.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    this.write('.\r\n');
    const end = await this.reply(60_000);
    replies.push(end);
    return { ok: end.code === 250, replies };
  }

  async quit(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.cmd('QUIT');
    } catch {
      // closed already
    }
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #onData(d: string): void {
    this.#buf += d;
    for (;;) {
      const m = /^((?:\d{3}-[^\r\n]*\r?\n)*)(\d{3})(?: ([^\r\n]*))?\r?\n/.exec(this.#buf);
      if (!m) return;
      this.#buf = this.#buf.slice(m[0].length);
      const text = Buffer.from(m[0], 'latin1').toString('utf8').trimEnd();
      const lines = text.split(/\r?\n/).map((l) => l.slice(4));
      const r: Reply = { code: Number(m[2]), lines, raw: text };
      const w = this.#waiters.shift();
      if (w) w(r);
      else this.#replies.push(r);
    }
  }
}

/** Opens, says EHLO, runs one transaction, quits. */
export async function sendOnce(port: number, from: string, to: readonly string[], data: Buffer | string, params = ''): Promise<{ ok: boolean; replies: Reply[] }> {
  const { client } = await RawSmtp.open(port);
  try {
    await client.cmd('EHLO client.test');
    return await client.mail(from, to, data, params);
  } finally {
    await client.quit();
  }
}
