import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldLongLines, scanMessage } from '../../src/relay/message.js';
import { freePort } from '../support/tools.js';
import { requireSwaks, swaks } from './support/clients.js';
import { gatewayYaml, maildir, makeOrg, startSystem, waitFor, type Org, type TestRelay } from './support/org.js';
import { startSink } from './support/sink.js';

/**
 * Lines longer than RFC 5322's 998 characters (docs/relay.md "Long lines"): accepted up to
 * the size limit, as Postfix's smtpd accepts them, and forwarded intact to the next hop;
 * only what the relay writes itself (the headers a DSN returns) is folded.
 */
const swaksBin = requireSwaks();

let org: Org;
let gw: TestRelay;
let sink: Awaited<ReturnType<typeof startSink>>;

beforeAll(async () => {
  const [pg, ps] = [await freePort(), await freePort()];
  org = makeOrg(gatewayYaml('long lines', pg, ps, '[alice@example.test]'));
  sink = await startSink(ps, (rcpt) => (rcpt.startsWith('refused') ? { code: 550, text: '5.1.1 no such user here' } : undefined));
  gw = await startSystem(org, 'gw', { maxSize: 1_000_000 });
});

afterAll(async () => {
  await gw?.close();
  await sink?.close();
  org?.cleanup();
});

let n = 0;
function build(kind: string, headers: readonly string[], body: readonly string[]): { subject: string; data: Buffer } {
  const subject = `long ${kind} ${++n}`;
  const text = ['From: <alice@example.test>', 'To: <bob@any.test>', `Subject: ${subject}`, ...headers, '', ...body].join('\r\n');
  return { subject, data: Buffer.from(text, 'utf8') };
}

/** A line of `length` characters with no white space (nothing to fold at). */
const solid = (length: number, seed: string): string => `${seed}${'0123456789abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil(length / 36))}`.slice(0, length);

describe.skipIf(!swaksBin)('swaks through the relay to a real next hop', () => {
  it.each([
    ['a 1,500-character body line', [], [solid(1500, 'b')]],
    ['a 20,000-character body line', [], ['short line', solid(20_000, 'c'), 'after']],
    ['a 1,500-character header line', [`X-Long: ${solid(1492, 'h')}`], ['body']],
    ['a 5,000-character line starting with "."', [], [`.${solid(4999, 'd')}`, '..', 'end']],
  ])(
    '%s is delivered byte for byte',
    async (kind, headers, body) => {
      const m = build(kind.replace(/\W+/g, '-'), headers, body);
      const r = await swaks(swaksBin!, org.dir, gw.address().port, 'alice@example.test', ['bob@any.test'], m.data);
      expect(r.ok, r.out).toBe(true);
      const got = await waitFor(() => sink.messages.find((s) => s.data.includes(`Subject: ${m.subject}\r\n`)), 30_000, `${m.subject} at the next hop`);
      // the next hop gets our Received: and then exactly what swaks sent (the file and CRLF)
      const received = /^Received: [^\r\n]*(?:\r\n[ \t][^\r\n]*)*\r\n/.exec(got.data.toString('latin1'));
      expect(received).not.toBeNull();
      const rest = got.data.subarray(received![0].length);
      const sent = Buffer.concat([m.data, Buffer.from('\r\n')]);
      expect(rest.length).toBe(sent.length);
      expect(rest.equals(sent)).toBe(true);
    },
    60_000,
  );

  it('a DSN returning a 1,500-character header folds it to fit RFC 5322; the message itself was not changed', async () => {
    const long = `X-Long: ${Array.from({ length: 150 }, (_, i) => `word${i}`).join(' ')} ${solid(1200, 'z')}`;
    const m = build('dsn', [long], ['body']);
    const r = await swaks(swaksBin!, org.dir, gw.address().port, 'alice@example.test', ['refused@any.test'], m.data);
    expect(r.ok, r.out).toBe(true);
    const dsn = await waitFor(
      () => maildir(gw.spoolDir, 'alice@example.test').find((f) => f.includes('Undelivered Mail') && f.includes(m.subject)),
      30_000,
      'the DSN',
    );
    const lines = dsn.toString('latin1').split('\r\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(998);
    // unfolding (RFC 5322 section 2.2.3) gives the field back, with one space where a
    // piece without white space had to be broken
    const text = dsn.toString('latin1').replace(/\r\n(?=[ \t])/g, '');
    const unfolded = text.split('\r\n').find((l) => l.startsWith('X-Long: '))!;
    expect(unfolded.replace(/ (?=[0-9a-z]*$)/, '')).toBe(long);
  }, 60_000);
});

describe('scanMessage', () => {
  const msg = (line: string): Buffer => Buffer.from(`Subject: x\r\n\r\n${line}\r\n`);
  it.each([
    ['any length by default (0)', 0, 50_000, undefined],
    ['a configured limit: at the limit', 1000, 1000, undefined],
    ['a configured limit: one over', 1000, 1001, '5.6.0'],
  ])('%s', (_name, limit, length, status) => {
    expect(scanMessage(msg('x'.repeat(length)), limit).problem?.status).toBe(status);
  });

  it('a long line does not hide a bare LF after it (smuggling defence unchanged)', () => {
    expect(scanMessage(msg(`${'x'.repeat(5000)}\n.\r\n`), 0).problem?.text).toMatch(/bare CR or LF/);
  });
});

describe('foldLongLines', () => {
  const lines = (b: Buffer): string[] => b.toString('utf8').split('\r\n');
  it.each([
    ['within the limit: unchanged', 'X-A: short\r\n', 10],
    ['folded before white space', 'X-A: aaa bbb ccc ddd\r\n', 10],
    ['broken with CRLF SPACE without white space', `X-A: ${'y'.repeat(40)}\r\n`, 10],
    ['a mix, several lines', `X-A: ${'y'.repeat(25)} b c\r\nX-B: ok\r\nX-C: d ${'e'.repeat(30)}\r\n`, 10],
    ['never inside a UTF-8 sequence', `X-A: ${'日本語'.repeat(10)}\r\n`, 10],
  ])('%s', (_name, input, limit) => {
    const out = foldLongLines(Buffer.from(input, 'utf8'), limit);
    for (const l of lines(out)) expect(Buffer.byteLength(l), l).toBeLessThanOrEqual(limit);
    // valid UTF-8 still (no sequence cut)
    expect(Buffer.from(out.toString('utf8'), 'utf8').equals(out)).toBe(true);
    // unfolding gives the input back, except for the spaces a break without white space adds
    const unfolded = out.toString('utf8').replace(/\r\n(?=[ \t])/g, '');
    expect(unfolded.replace(/ /g, '')).toBe(input.replace(/ /g, ''));
    if (!/[^ ]{11}/.test(input)) expect(unfolded).toBe(input);
    if (Buffer.byteLength(input) <= limit + 2) expect(out.toString('utf8')).toBe(input);
  });
});
