import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProbeConnection, ProbeConnectionError } from '../../src/probe/smtp-client.js';
import { freePort } from '../support/tools.js';

/** A server that runs `script` on each connection (raw bytes, for malformed and slow replies). */
let servers: Server[] = [];
async function serve(script: (s: Socket) => void): Promise<number> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    script(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return typeof a === 'object' && a ? a.port : 0;
}
afterEach(async () => {
  for (const s of servers) {
    s.close();
  }
  servers = [];
});

const options = (port: number, timeout = 20_000) => ({ host: '127.0.0.1', port, timeout, helo: 'probe.test', starttls: 'auto' as const });

/** Answers line by line from `replies` (keyed by verb). */
function scripted(replies: Record<string, string>, greeting = '220 ok\r\n'): (s: Socket) => void {
  return (s) => {
    s.write(greeting);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const verb = buf.slice(0, nl).split(/[ :]/)[0] ?? '';
        buf = buf.slice(nl + 2);
        const r = replies[verb];
        if (r !== undefined) s.write(r);
      }
    });
  };
}

describe('the probe SMTP client', () => {
  it('reads multi-line replies as one (RFC 5321 section 4.2.1) and the EHLO keywords', async () => {
    const port = await serve(scripted({ EHLO: '250-srv.test greets you\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 SMTPUTF8\r\n', MAIL: '250 2.1.0 Ok\r\n', RCPT: '550-5.1.1 no such\r\n550 5.1.1 user here\r\n', RSET: '250 2.0.0 Ok\r\n', QUIT: '221 bye\r\n' }));
    const c = await ProbeConnection.open(options(port));
    expect([...c.extensions].sort()).toEqual(['PIPELINING', 'SIZE', 'SMTPUTF8']);
    const r = await c.commands(['MAIL FROM:<>', 'RCPT TO:<a@b.test>', 'RCPT TO:<c@b.test>', 'RSET']);
    expect(r.map((x) => [x.code, x.status])).toEqual([[250, '2.1.0'], [550, '5.1.1'], [550, '5.1.1'], [250, '2.0.0']]);
    expect(r[1]?.text).toBe('5.1.1 no such / 5.1.1 user here');
    await c.quit();
  });

  it('gives up on a server that never replies, after the timeout', async () => {
    const port = await serve(scripted({ EHLO: '250 srv.test\r\n' }));
    const c = await ProbeConnection.open(options(port, 300));
    await expect(c.command('MAIL FROM:<>')).rejects.toThrow(/no reply within 0.3 s/);
  });

  it('gives up on a silent server before the greeting', async () => {
    const port = await serve(() => undefined);
    await expect(ProbeConnection.open(options(port, 300))).rejects.toThrow(/no reply within/);
  });

  it('refuses an overlong reply', async () => {
    const port = await serve((s) => s.write(`220-${'x'.repeat(70_000)}`));
    await expect(ProbeConnection.open(options(port))).rejects.toThrow(/overlong reply/);
  });

  it('never writes a command with a line break in it (no smuggled DATA)', async () => {
    const seen: string[] = [];
    const port = await serve((s) => {
      scripted({ EHLO: '250 srv.test\r\n', QUIT: '221 bye\r\n' })(s);
      s.on('data', (d: Buffer) => seen.push(d.toString()));
    });
    const c = await ProbeConnection.open(options(port));
    await expect(c.command('RCPT TO:<a@b.test>\r\nDATA')).rejects.toThrow(/line break/);
    await c.quit();
    expect(seen.join('')).not.toMatch(/DATA/);
  });

  it('fails with kind "tls" when STARTTLS is required and not offered', async () => {
    const port = await serve(scripted({ EHLO: '250 srv.test\r\n' }));
    const e = await ProbeConnection.open({ ...options(port), starttls: 'require' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProbeConnectionError);
    expect((e as ProbeConnectionError).kind).toBe('tls');
  });

  it('fails with kind "connect" where nothing listens', async () => {
    const e = await ProbeConnection.open(options(await freePort())).catch((x: unknown) => x);
    expect((e as ProbeConnectionError).kind).toBe('connect');
    expect((e as Error).message).toBe('ECONNREFUSED');
  });

  it('sends commands one by one without PIPELINING', async () => {
    const writes: string[] = [];
    const port = await serve((s) => {
      scripted({ EHLO: '250 srv.test\r\n', MAIL: '250 ok\r\n', RCPT: '250 ok\r\n', RSET: '250 ok\r\n' })(s);
      s.on('data', (d: Buffer) => writes.push(d.toString()));
    });
    const c = await ProbeConnection.open(options(port));
    await c.commands(['MAIL FROM:<>', 'RCPT TO:<a@b.test>', 'RSET']);
    expect(writes.slice(1)).toEqual(['MAIL FROM:<>\r\n', 'RCPT TO:<a@b.test>\r\n', 'RSET\r\n']);
    c.destroy();
  });
});

describe('a 421 in the middle of a pipelined transaction', () => {
  it('keeps the replies before it and stops reading', async () => {
    const port = await serve((s) => {
      s.write('220 ok\r\n');
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.startsWith('EHLO')) {
          buf = '';
          s.write('250-srv.test\r\n250 PIPELINING\r\n');
        } else if (buf.includes('RSET\r\n')) s.end('250 ok\r\n550 5.1.1 no\r\n421 4.3.2 closing\r\n');
      });
    });
    const c = await ProbeConnection.open(options(port));
    const r = await c.commands(['MAIL FROM:<>', 'RCPT TO:<a@b.test>', 'RCPT TO:<c@b.test>', 'RCPT TO:<d@b.test>', 'RSET']);
    expect(r.map((x) => x.code)).toEqual([250, 550, 421]);
    c.destroy();
  });
});
