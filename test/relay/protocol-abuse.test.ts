import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/tools.js';
import { gatewayYaml, maildir, makeOrg, message, startSystem, waitFor, type Org, type TestRelay } from './support/org.js';
import { startSink } from './support/sink.js';
import { RawSmtp, sendOnce } from './support/smtp-client.js';

/**
 * Hostile clients: after each abuse the relay must still serve a new, well-behaved client.
 * The relay runs with small limits so that the timeouts show within the test.
 */
let org: Org;
let gw: TestRelay;
let sink: Awaited<ReturnType<typeof startSink>>;

beforeAll(async () => {
  const [pg, ps] = [await freePort(), await freePort()];
  org = makeOrg(gatewayYaml('protocol abuse', pg, ps, '[alice@example.test]'));
  sink = await startSink(ps);
  gw = await startSystem(org, 'gw', {
    maxSize: 200_000,
    limits: { idleTimeout: 1500, dataTimeout: 1500, maxClientsPerAddress: 300, maxErrors: 5 },
  });
});

afterAll(async () => {
  await gw?.close();
  await sink?.close();
  org?.cleanup();
});

let serial = 0;
/** A new client gets a complete transaction through. */
async function stillServing(): Promise<void> {
  const subject = `still serving ${++serial}`;
  const r = await sendOnce(gw.address().port, 'sender@outside.test', ['alice@example.test'], message(subject));
  expect(r.ok, JSON.stringify(r.replies)).toBe(true);
  await waitFor(() => maildir(gw.spoolDir, 'alice@example.test').some((f) => f.includes(`Subject: ${subject}\r\n`)));
}

afterEach(async () => {
  await stillServing();
});

async function session(): Promise<RawSmtp> {
  const { client } = await RawSmtp.open(gw.address().port);
  expect((await client.cmd('EHLO abuse.test')).code).toBe(250);
  return client;
}

const accepts = (): number => gw.events.filter((e) => e.event === 'accept').length;

describe('protocol abuse', () => {
  it('a command line over 1000 bytes is refused', async () => {
    const c = await session();
    const r = await c.cmd(`MAIL FROM:<${'a'.repeat(1200)}@outside.test>`);
    expect(r.code).toBeGreaterThanOrEqual(500);
    c.destroy();
  });

  it('a command line over the command limit ends the session', async () => {
    const c = await session();
    c.write(`NOOP ${'x'.repeat(70_000)}\r\n`);
    await waitFor(() => c.closed, 5000, 'the connection to close');
  });

  it('a message line over 998 characters is accepted (as Postfix does) and delivered intact; the session goes on', async () => {
    const c = await session();
    const line = 'y'.repeat(1500);
    const r = await c.mail('sender@outside.test', ['alice@example.test'], message('long line', `${line}\r\n`));
    expect(r.ok, JSON.stringify(r.replies)).toBe(true);
    const file = await waitFor(() => maildir(gw.spoolDir, 'alice@example.test').find((f) => f.includes('Subject: long line\r\n')));
    expect(file.includes(`\r\n\r\n${line}\r\n`)).toBe(true);
    const ok = await c.mail('sender@outside.test', ['alice@example.test'], message('after long line'));
    expect(ok.ok).toBe(true);
    await c.quit();
  });

  it('NUL bytes in a command and in the message are refused', async () => {
    const c = await session();
    expect((await c.cmd('MAIL FROM:<a\u0000b@outside.test>')).code).toBeGreaterThanOrEqual(500);
    const r = await c.mail('sender@outside.test', ['alice@example.test'], message('nul', 'a\u0000b\r\n'));
    expect(r.replies.at(-1)?.raw).toMatch(/^550 5\.6\.0 .*NUL/);
    await c.quit();
  });

  it('a bare LF in the message is refused (a bare LF in a command is a line end)', async () => {
    const c = await session();
    c.write('NOOP\n');
    expect((await c.reply()).code).toBe(250);
    const r = await c.mail('sender@outside.test', ['alice@example.test'], message('bare lf', 'one\ntwo\r\n'));
    expect(r.replies.at(-1)?.raw).toMatch(/^550 5\.6\.0 .*bare CR or LF/);
    await c.quit();
  });

  it.each([
    ['\\n.\\r\\n', '\n.\r\n'],
    ['\\n.\\n', '\n.\n'],
    ['\\r\\n.\\n', '\r\n.\n'],
    ['\\r.\\r\\n', '\r.\r\n'],
    ['\\r.\\r', '\r.\r'],
  ])('SMTP smuggling with %s never ends DATA or starts a second transaction', async (_name, end) => {
    const before = accepts();
    const c = await session();
    expect((await c.cmd('MAIL FROM:<sender@outside.test>')).code).toBe(250);
    expect((await c.cmd('RCPT TO:<alice@example.test>')).code).toBe(250);
    expect((await c.cmd('DATA')).code).toBe(354);
    const smuggled = `MAIL FROM:<admin@example.test>\r\nRCPT TO:<victim@any.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n`;
    c.write(`Subject: carrier\r\n\r\nhello${end}${smuggled}.\r\n`);
    const r = await c.reply();
    // one reply for the whole thing: the message with the fake end inside is refused
    expect(r.code).toBe(550);
    expect((await c.cmd('NOOP')).code).toBe(250);
    await c.quit();
    await gw.idle();
    expect(accepts()).toBe(before);
    expect(sink.messages.some((m) => m.data.includes('smuggled'))).toBe(false);
  });

  it.each([
    ['RCPT before MAIL', ['RCPT TO:<alice@example.test>'], 503],
    ['DATA before RCPT', ['MAIL FROM:<a@outside.test>', 'DATA'], 503],
    ['MAIL twice', ['MAIL FROM:<a@outside.test>', 'MAIL FROM:<b@outside.test>'], 503],
  ])('commands out of order: %s', async (_what, lines, code) => {
    const c = await session();
    let last = 0;
    for (const l of lines) last = (await c.cmd(l)).code;
    expect(last).toBe(code);
    await c.quit();
  });

  it('MAIL before EHLO is refused', async () => {
    const { client } = await RawSmtp.open(gw.address().port);
    expect((await client.cmd('MAIL FROM:<a@outside.test>')).code).toBe(503);
    await client.quit();
  });

  it('1000 recipients pipelined are accepted, the 1001st is refused with 452, and all are forwarded', async () => {
    const c = await session();
    const to = Array.from({ length: 1001 }, (_, i) => `user${i}@any.test`);
    c.write(`MAIL FROM:<bulk@outside.test>\r\n${to.map((t) => `RCPT TO:<${t}>\r\n`).join('')}`);
    expect((await c.reply()).code).toBe(250);
    const codes: number[] = [];
    for (let i = 0; i < to.length; i++) codes.push((await c.reply()).code);
    expect(codes.filter((x) => x === 250)).toHaveLength(1000);
    expect(codes.at(-1)).toBe(452);
    expect((await c.cmd('DATA')).code).toBe(354);
    c.write(message('thousand'));
    expect((await c.cmd('.')).code).toBe(250);
    await c.quit();
    await gw.idle();
    const got = sink.messages.find((m) => m.data.includes('Subject: thousand'));
    expect(got?.to).toHaveLength(1000);
  });

  it('a pipelined burst of 200 commands is answered in order', async () => {
    const c = await session();
    const burst = Array.from({ length: 100 }, (_, i) => `RSET\r\nHELP ${i}\r\n`).join('');
    c.write(burst);
    const codes: number[] = [];
    for (let i = 0; i < 200; i++) codes.push((await c.reply()).code);
    expect(codes.filter((_, i) => i % 2 === 0).every((x) => x === 250)).toBe(true);
    await c.quit();
  });

  it('a whole pipelined transaction in one write', async () => {
    const c = await session();
    c.write(`MAIL FROM:<p@outside.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\nDATA\r\n`);
    expect((await c.reply()).code).toBe(250);
    expect((await c.reply()).code).toBe(250);
    expect((await c.reply()).code).toBe(550);
    expect((await c.reply()).code).toBe(354);
    c.write(Buffer.concat([message('pipelined'), Buffer.from('.\r\nQUIT\r\n')]));
    expect((await c.reply()).code).toBe(250);
    expect((await c.reply()).code).toBe(221);
  });

  it('a client that vanishes mid-DATA leaves nothing behind', async () => {
    const before = accepts();
    const c = await session();
    await c.cmd('MAIL FROM:<v@outside.test>');
    await c.cmd('RCPT TO:<alice@example.test>');
    await c.cmd('DATA');
    c.write(`Subject: half\r\n\r\n${'z'.repeat(50_000)}`);
    await new Promise((r) => setTimeout(r, 50));
    c.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(accepts()).toBe(before);
  });

  it('200 connections at once', async () => {
    const port = gw.address().port;
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        RawSmtp.open(port).then(
          ({ client, greeting }) => ({ client, code: greeting.code }),
          () => ({ client: undefined, code: 0 }),
        ),
      ),
    );
    expect(results.filter((r) => r.code === 220).length).toBe(200);
    // a new client is served while they are all open
    await stillServing();
    for (const r of results) r.client?.destroy();
  });

  it('an idle client is dropped after the idle timeout; others are served meanwhile', async () => {
    const { client } = await RawSmtp.open(gw.address().port);
    await stillServing();
    const r = await client.reply(5000);
    expect(r.code).toBe(421);
    await waitFor(() => client.closed, 3000, 'the idle client to be closed');
  });

  it('a client that trickles DATA is dropped after the data timeout', async () => {
    const c = await session();
    await c.cmd('MAIL FROM:<slow@outside.test>');
    await c.cmd('RCPT TO:<alice@example.test>');
    await c.cmd('DATA');
    const timer = setInterval(() => c.write('x'), 200);
    try {
      await waitFor(() => c.closed, 5000, 'the trickling client to be closed');
    } finally {
      clearInterval(timer);
    }
  });

  it('SIZE: a declared size over the limit is refused at MAIL, an actual one at the end of DATA', async () => {
    const c = await session();
    expect((await c.cmd('MAIL FROM:<big@outside.test> SIZE=300000')).code).toBe(552);
    const r = await c.mail('big@outside.test', ['alice@example.test'], message('too big', `${'b'.repeat(76)}\r\n`.repeat(4000)));
    expect(r.replies.at(-1)?.code).toBe(552);
    expect(r.replies.at(-1)?.raw).toContain('5.3.4');
    await c.quit();
  });

  it('VRFY and EXPN do not tell existing recipients from unknown ones', async () => {
    const c = await session();
    const known = await c.cmd('VRFY alice@example.test');
    const unknown = await c.cmd('VRFY nobody@example.test');
    expect(known.code).toBe(unknown.code);
    expect(known.code).not.toBe(250);
    expect((await c.cmd('EXPN staff')).code).toBeGreaterThanOrEqual(500);
    await c.quit();
  });

  it('a client probing recipients is cut off after the error limit', async () => {
    const c = await session();
    await c.cmd('MAIL FROM:<probe@outside.test>');
    const codes: number[] = [];
    for (let i = 0; i < 10 && !c.closed; i++) {
      try {
        codes.push((await c.cmd(`RCPT TO:<guess${i}@example.test>`)).code);
      } catch {
        break;
      }
    }
    expect(codes.slice(0, 5).every((x) => x === 550)).toBe(true);
    expect(codes).toContain(421);
    await waitFor(() => c.closed, 3000, 'the prober to be disconnected');
  });

  it('an HTTP request is answered with 421 and closed', async () => {
    const { client } = await RawSmtp.open(gw.address().port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await client.reply()).code).toBe(421);
  });

  it('a client that connects and closes at once, repeatedly', async () => {
    await Promise.all(
      Array.from({ length: 50 }, () => new Promise<void>((r) => {
        const s = connect(gw.address().port, '127.0.0.1', () => s.destroy());
        s.on('close', () => r());
        s.on('error', () => r());
      })),
    );
  });
});

describe('early talkers at an internet-facing relay', () => {
  it('a client that talks before the greeting is refused (greeting delay)', async () => {
    const slow = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, spool: `${org.dir}/spool-early`, greetingDelay: 300 });
    try {
      const s = connect(slow.address().port, '127.0.0.1');
      let got = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => (got += d));
      await new Promise((r) => s.once('connect', r));
      s.write('EHLO hasty.test\r\n');
      await waitFor(() => /421 .*talk too soon/.test(got), 3000, 'the early-talker refusal');
      s.destroy();
      // a patient client is greeted after the delay
      const t0 = Date.now();
      const { client, greeting } = await RawSmtp.open(slow.address().port);
      expect(greeting.code).toBe(220);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      await client.quit();
    } finally {
      await slow.close();
    }
  });
});
