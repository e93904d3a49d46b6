import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/tools.js';
import { requirePython, requireSwaks, smtplib, swaks } from './support/clients.js';
import { makeOrg, maildir, startSystem, waitFor, type Org, type TestRelay } from './support/org.js';

/**
 * Real clients (swaks, Python's smtplib) send through the relay; what lands in the Maildir
 * (locally, or after a second relay) must be exactly the bytes sent, preceded only by
 * Return-Path (RFC 5321 section 4.4, final delivery) and one Received: per relay.
 */
const swaksBin = requireSwaks();
const python = requirePython();

let org: Org;
let gw: TestRelay;
let inner: TestRelay;

beforeAll(async () => {
  const pg = await freePort();
  const pi = await freePort();
  org = makeOrg(`
version: 1
name: interop
domains:
  example.test: {}
  inner.test: {}
systems:
  gw:
    kind: relay
    host: "[127.0.0.1]:${pg}"
    gateway: true
    mailboxes: [alice@example.test, 山田@example.test]
  inner:
    kind: relay
    host: "[127.0.0.1]:${pi}"
    mailboxes: [carol@inner.test, 太郎@inner.test]
policies:
  - { name: gw, system: gw, addresses: [{ space: "@example.test", primary: true, authoritative: true }] }
  - { name: gw inner, system: gw, addresses: [{ space: "@inner.test", authoritative: false }] }
  - { name: inner, system: inner, addresses: [{ space: "@inner.test", primary: true, authoritative: true }] }
connectors:
  - { name: to inner, system: gw, addressSpaces: [inner.test], to: inner, allowRelay: true }
`);
  gw = await startSystem(org, 'gw');
  inner = await startSystem(org, 'inner');
});

afterAll(async () => {
  await gw?.close();
  await inner?.close();
  org?.cleanup();
});

let n = 0;
/** A message with a unique subject; `body` lines joined with CRLF. */
function build(kind: string, body: readonly string[], headers: readonly string[] = []): { subject: string; data: Buffer } {
  const subject = `interop ${kind} ${++n}`;
  const text = [`From: <sender@outside.test>`, `To: <rcpt@example.test>`, `Subject: ${subject}`, ...headers, '', ...body].join('\r\n');
  return { subject, data: Buffer.from(text, 'utf8') };
}

/** A message of about `bytes` bytes in 76-character lines (lines starting with "." included). */
function big(kind: string, bytes: number): { subject: string; data: Buffer } {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${i % 50 === 0 ? '.' : ''}${i.toString(36)} ${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2)}`.slice(0, 76);
    lines.push(line);
    size += line.length + 2;
  }
  return build(kind, lines);
}

/** Waits for the delivered copy and checks it is Return-Path + `hops` Received: + the bytes. */
async function expectDelivered(relay: TestRelay, mailbox: string, subject: string, sent: Buffer, hops: number, from: string): Promise<void> {
  const file = await waitFor(() => maildir(relay.spoolDir, mailbox).find((f) => f.includes(`Subject: ${subject}\r\n`)), 30_000, `${subject} in ${mailbox}`);
  const prefix = `Return-Path: <${from}>\r\n`;
  expect(file.subarray(0, Buffer.byteLength(prefix)).toString('utf8')).toBe(prefix);
  let rest = file.subarray(Buffer.byteLength(prefix));
  for (let i = 0; i < hops; i++) {
    const m = /^Received: [^\r\n]*(?:\r\n[ \t][^\r\n]*)*\r\n/.exec(rest.toString('latin1'));
    expect(m, `Received: number ${i + 1}`).not.toBeNull();
    rest = rest.subarray(m![0].length);
  }
  expect(rest.length).toBe(sent.length);
  expect(rest.equals(sent)).toBe(true);
}

describe.skipIf(!swaksBin)('swaks', () => {
  // swaks sends the file and then CRLF.CRLF: the message is the file plus CRLF
  const viaSwaks = async (to: string, msg: { subject: string; data: Buffer }, extra: string[] = []): Promise<Buffer> => {
    const r = await swaks(swaksBin!, org.dir, gw.address().port, 'sender@outside.test', [to], msg.data, extra);
    expect(r.ok, r.out).toBe(true);
    return Buffer.concat([msg.data, Buffer.from('\r\n')]);
  };

  it('plain, to a local mailbox and through a second relay', async () => {
    const m = build('plain', ['Hello from swaks.']);
    const sent = await viaSwaks('alice@example.test', m);
    await expectDelivered(gw, 'alice@example.test', m.subject, sent, 1, 'sender@outside.test');
    const m2 = build('plain2', ['Hello again.']);
    const sent2 = await viaSwaks('carol@inner.test', m2);
    await expectDelivered(inner, 'carol@inner.test', m2.subject, sent2, 2, 'sender@outside.test');
  });

  it('lines starting with "." (dot-stuffing on both hops)', async () => {
    const m = build('dots', ['.', '..', '.leading dot', '...three', 'end']);
    const sent = await viaSwaks('carol@inner.test', m);
    await expectDelivered(inner, 'carol@inner.test', m.subject, sent, 2, 'sender@outside.test');
  });

  it('8-bit text without a BODY declaration', async () => {
    const m = build('8bit', ['Grüße, 日本語のテキスト'], ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit']);
    const sent = await viaSwaks('carol@inner.test', m);
    await expectDelivered(inner, 'carol@inner.test', m.subject, sent, 2, 'sender@outside.test');
  });

  it('a 10 MB message with PIPELINING', async () => {
    const m = big('swaks-10mb', 10 * 1024 * 1024);
    const sent = await viaSwaks('carol@inner.test', m, ['--pipeline']);
    await expectDelivered(inner, 'carol@inner.test', m.subject, sent, 2, 'sender@outside.test');
  }, 60_000);
});

describe.skipIf(!python)("Python's smtplib", () => {
  const viaPython = async (from: string, to: string, msg: { data: Buffer }, options: string[] = []): Promise<void> => {
    const r = await smtplib(python!, gw.address().port, from, [to], msg.data, options);
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
  };

  it('plain', async () => {
    const m = build('py-plain', ['Hello from smtplib.', '']);
    await viaPython('sender@outside.test', 'alice@example.test', m);
    await expectDelivered(gw, 'alice@example.test', m.subject, m.data, 1, 'sender@outside.test');
  });

  it('BODY=8BITMIME, forwarded', async () => {
    const m = build('py-8bitmime', ['Ünïcödé body, 8 bits: ¡olé!', ''], ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit']);
    await viaPython('sender@outside.test', 'carol@inner.test', m, ['BODY=8BITMIME']);
    await expectDelivered(inner, 'carol@inner.test', m.subject, m.data, 2, 'sender@outside.test');
  });

  it('SMTPUTF8 with Japanese local parts, local and forwarded', async () => {
    const m = build('py-utf8', ['こんにちは', ''], ['Content-Type: text/plain; charset=utf-8']);
    await viaPython('送信者@outside.test', '山田@example.test', m, ['SMTPUTF8', 'BODY=8BITMIME']);
    await expectDelivered(gw, '山田@example.test', m.subject, m.data, 1, '送信者@outside.test');
    const m2 = build('py-utf8-fwd', ['さようなら', ''], ['Content-Type: text/plain; charset=utf-8']);
    await viaPython('送信者@outside.test', '太郎@inner.test', m2, ['SMTPUTF8', 'BODY=8BITMIME']);
    await expectDelivered(inner, '太郎@inner.test', m2.subject, m2.data, 2, '送信者@outside.test');
    const received = maildir(inner.spoolDir, '太郎@inner.test')[0]!.toString('utf8');
    expect(received).toContain('with UTF8SMTP id');
  });

  it('lines starting with "."', async () => {
    const m = build('py-dots', ['.', '.x', '..y', 'z', '']);
    await viaPython('sender@outside.test', 'carol@inner.test', m);
    await expectDelivered(inner, 'carol@inner.test', m.subject, m.data, 2, 'sender@outside.test');
  });

  it('a 10 MB message', async () => {
    const m = big('py-10mb', 10 * 1024 * 1024);
    const data = Buffer.concat([m.data, Buffer.from('\r\n')]);
    await viaPython('sender@outside.test', 'alice@example.test', { data });
    await expectDelivered(gw, 'alice@example.test', m.subject, data, 1, 'sender@outside.test');
  }, 60_000);
});
