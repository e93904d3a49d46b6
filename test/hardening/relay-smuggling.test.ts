import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accepts, maildir, RawSmtp, startGateway, waitFor, type Gateway, type Reply } from './support/relay.js';

/**
 * SMTP smuggling (the CVE-2023-51764 class), recipient enumeration and pipelining, with raw
 * sockets that write exactly the bytes under test, split across TCP writes where a parser
 * that looks at one read at a time would be fooled.
 */

let g: Gateway;
const clients: RawSmtp[] = [];

beforeAll(async () => {
  g = await startGateway({ limits: { maxErrors: 1000 } });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await g.stillServing();
});

afterAll(async () => {
  await g?.close();
});

async function session(): Promise<RawSmtp> {
  const { client } = await RawSmtp.open(g.gw.address().port);
  clients.push(client);
  expect((await client.cmd('EHLO smuggler.test')).code).toBe(250);
  return client;
}

const pause = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** No reply arrives within `ms` (nothing was answered that the test did not ask for). */
async function silent(c: RawSmtp, ms = 300): Promise<void> {
  await expect(c.reply(ms)).rejects.toThrow(/no reply within/);
}

// fake ends of DATA: a "." line whose line ends are not both CRLF
const FAKE_ENDS: [string, string][] = [
  ['\\n.\\r\\n', '\n.\r\n'],
  ['\\n.\\n', '\n.\n'],
  ['\\r\\n.\\n', '\r\n.\n'],
  ['\\r.\\r\\n', '\r.\r\n'],
  ['\\r\\n.\\r', '\r\n.\r'],
  ['\\r.\\r', '\r.\r'],
  ['\\n.\\r', '\n.\r'],
  ['\\r\\n.\\r\\r\\n', '\r\n.\r\r\n'],
  ['\\r\\n.\\u0000\\r\\n', '\r\n.\u0000\r\n'],
];

describe('SMTP smuggling: a fake end of DATA never ends DATA or starts a second transaction', () => {
  it.each(FAKE_ENDS)('%s, in one write and split at every byte', async (_name, fake) => {
    const smuggled = 'MAIL FROM:<admin@example.test>\r\nRCPT TO:<victim@any.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n';
    const whole = `Subject: carrier\r\n\r\nhello${fake}${smuggled}`;
    for (const split of [-1, ...Array.from({ length: fake.length + 1 }, (_, i) => 'Subject: carrier\r\n\r\nhello'.length + i)]) {
      const before = accepts(g.gw);
      const c = await session();
      expect((await c.cmd('MAIL FROM:<sender@outside.test>')).code).toBe(250);
      expect((await c.cmd('RCPT TO:<alice@example.test>')).code).toBe(250);
      expect((await c.cmd('RCPT TO:<someone@any.test>')).code).toBe(250);
      expect((await c.cmd('DATA')).code).toBe(354);
      if (split < 0) c.write(whole);
      else {
        c.write(whole.slice(0, split));
        await pause(20);
        c.write(whole.slice(split));
      }
      await pause(50);
      // nothing answered yet: the fake end did not end DATA
      await silent(c, 200);
      c.write('.\r\n');
      const r: Reply = await c.reply();
      // the whole thing is one message, refused for its bare CR or LF (or NUL)
      expect(r.code, `split at ${split}`).toBe(550);
      expect(r.raw).toMatch(/^550 5\.6\.0 /);
      await silent(c, 100);
      expect((await c.cmd('NOOP')).code).toBe(250);
      c.destroy();
      expect(accepts(g.gw)).toBe(before);
    }
    await g.gw.idle();
    expect(g.sink.messages.some((m) => m.data.includes('smuggled') || m.data.includes('carrier'))).toBe(false);
    expect(maildir(g.gw.spoolDir, 'alice@example.test').some((f) => f.includes('carrier'))).toBe(false);
  }, 60_000);

  it.each([
    ['in one write', [`Subject: split end\r\n\r\nbody\r\n.\r\n`]],
    ['CRLF | . | CRLF', ['Subject: split end\r\n\r\nbody\r\n', '.', '\r\n']],
    ['CR | LF.CR | LF', ['Subject: split end\r\n\r\nbody\r', '\n.\r', '\n']],
    ['byte by byte', [...'Subject: split end\r\n\r\nbody\r\n.\r\n']],
  ])('the real end of DATA (CRLF . CRLF) %s ends it, once', async (_name, parts) => {
    const before = accepts(g.gw);
    const c = await session();
    expect((await c.cmd('MAIL FROM:<sender@outside.test>')).code).toBe(250);
    expect((await c.cmd('RCPT TO:<alice@example.test>')).code).toBe(250);
    expect((await c.cmd('DATA')).code).toBe(354);
    for (const p of parts) {
      c.write(p);
      if (parts.length < 10) await pause(20);
    }
    expect((await c.reply()).code).toBe(250);
    await silent(c, 100);
    expect(accepts(g.gw)).toBe(before + 1);
  });

  it('dot-stuffed lines are unstuffed once, and a second transaction after a real end is its own', async () => {
    const c = await session();
    expect((await c.cmd('MAIL FROM:<sender@outside.test>')).code).toBe(250);
    expect((await c.cmd('RCPT TO:<alice@example.test>')).code).toBe(250);
    expect((await c.cmd('DATA')).code).toBe(354);
    c.write('Subject: stuffed\r\n\r\n..\r\n...x\r\n.\r\nMAIL FROM:<second@outside.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n');
    expect((await c.reply()).code).toBe(250);
    expect((await c.reply()).code).toBe(250);
    expect((await c.reply()).code).toBe(250);
    expect((await c.reply()).code).toBe(354);
    c.write('Subject: second\r\n\r\nok\r\n.\r\n');
    expect((await c.reply()).code).toBe(250);
    await g.gw.idle();
    const files = await waitFor(() => {
      const f = maildir(g.gw.spoolDir, 'alice@example.test').filter((x) => /Subject: (stuffed|second)\r\n/.test(x.toString('latin1')));
      return f.length === 2 ? f : undefined;
    });
    const stuffed = files.find((f) => f.includes('Subject: stuffed'))?.toString('latin1') ?? '';
    expect(stuffed.endsWith('\r\n\r\n.\r\n..x\r\n')).toBe(true);
  });
});

describe('no recipient enumeration', () => {
  it('VRFY and EXPN answer the same for a mailbox, an alias, an unknown and a foreign address', async () => {
    const c = await session();
    const norm = (r: Reply, arg: string): string => `${r.code} ${r.raw.split(arg).join('<ARG>')}`;
    const args = ['alice@example.test', 'robert@example.test', 'nobody@example.test', 'x@any.test', 'someone@foreign.test', 'alice', 'postmaster'];
    for (const cmd of ['VRFY', 'EXPN']) {
      const replies = [];
      for (const a of args) replies.push(norm(await c.cmd(`${cmd} ${a}`), a));
      expect(new Set(replies).size, `${cmd}: ${replies.join(' | ')}`).toBe(1);
      expect(replies[0]?.startsWith('250')).toBe(false);
    }
  });
});

describe('pipelining (RFC 2920): replies come in the order of the commands', () => {
  /** A command and the reply code it must get in the state the earlier commands leave. */
  function script(seed: number, n: number): { lines: string[]; codes: number[] } {
    let x = seed;
    const rnd = (k: number): number => {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
      return Math.abs(x) % k;
    };
    const lines: string[] = [];
    const codes: number[] = [];
    let inMail = false;
    let rcpts = 0;
    let unknown = 0;
    for (let i = 0; i < n; i++) {
      switch (rnd(9)) {
        case 0:
          lines.push(`MAIL FROM:<p${i}@outside.test>`);
          codes.push(inMail ? 503 : 250);
          inMail = true;
          break;
        case 1:
          lines.push('RCPT TO:<alice@example.test>');
          codes.push(inMail ? 250 : 503);
          if (inMail) rcpts++;
          break;
        case 2:
          lines.push(`RCPT TO:<nobody${i}@example.test>`);
          codes.push(inMail ? 550 : 503);
          break;
        case 3:
          lines.push(`RCPT TO:<x${i}@foreign.test>`);
          codes.push(inMail ? 554 : 503);
          break;
        case 4:
          lines.push('RSET');
          codes.push(250);
          inMail = false;
          rcpts = 0;
          break;
        case 5:
          lines.push('NOOP');
          codes.push(250);
          break;
        case 6:
          lines.push(`VRFY u${i}`);
          codes.push(252);
          break;
        case 7:
          lines.push('HELP');
          codes.push(214);
          break;
        default:
          // smtp-server closes the session at the 10th unrecognised command (a defence): a few only
          if (unknown++ < 8) {
            lines.push(`XCMD${i}`);
            codes.push(500);
          } else {
            lines.push('NOOP');
            codes.push(250);
          }
      }
    }
    void rcpts;
    return { lines, codes };
  }

  it.each([1, 2, 3, 4, 5])('a random burst of 300 commands (seed %i), written in random pieces', async (seed) => {
    const c = await session();
    const { lines, codes } = script(seed, 300);
    const text = lines.map((l) => `${l}\r\n`).join('');
    let at = 0;
    let s = seed;
    while (at < text.length) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const n = 1 + (s % 97);
      c.write(text.slice(at, at + n));
      at += n;
    }
    const got: number[] = [];
    for (let i = 0; i < codes.length; i++) got.push((await c.reply()).code);
    expect(got).toEqual(codes);
    await silent(c, 100);
  });
});
