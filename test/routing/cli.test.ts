import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRecipients } from '../../src/cli/commands/route.js';
import { run } from './cli-io.js';

const METHOD1 = 'examples/method1/chainmail.yaml';
const METHOD1_OPEN = 'test/fixtures/routing/method1-no-gateway-check.yaml';
const IDN = 'examples/idn-chain/chainmail.yaml';
const LOOP = 'test/fixtures/routing/loop.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'chainmail-route-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('chainmail route (text)', () => {
  it('prints the recipient, one line per hop and the outcome (golden)', async () => {
    const r = await run(['route', METHOD1, 'carol@example.com', 'alice@example.com', 'nobody@example.com', 'someone@foreign.test', 'user@[1.2.3.4]']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    await expect(r.stdout).toMatchFileSnapshot('__golden__/method1-route.txt');
  });

  it('prints the status code of a refusal and of a bounce', async () => {
    expect((await run(['route', METHOD1, 'someone@foreign.test'])).stdout).toContain('=> refused by exchange: 554 5.7.1');
    const bounced = await run(['route', METHOD1_OPEN, 'nobody@example.com']);
    expect(bounced.stdout).toContain('  unix      bounce   policy "UNIX domains" is authoritative for example.com and there is no such recipient');
    expect(bounced.stdout).toContain('=> bounced by unix: 550 5.1.1 (exchange returns the NDR to the sender)');
  });

  it('shows IDN recipients in both forms, and the rewritten address of a contact', async () => {
    const r = await run(['route', IDN, 'sato@例え.jp', 'sato@xn--r8jz45g.jp', 'yamada@例え.jp']);
    expect(r.stdout).toContain('sato@例え.jp (sato@xn--r8jz45g.jp)\n');
    expect(r.stdout).toContain('sato@xn--r8jz45g.jp (sato@例え.jp)\n');
    expect(r.stdout).toContain('=> delivered by postfix to mailbox sato@xn--r8jz45g.jp (sato@例え.jp)');
    expect(r.stdout).toMatch(/exchange {2}forward {2}yamada@partner\.example: policy "Partner"/);
    expect(r.stdout).toContain('=> external: leaves the organisation for [203.0.113.25]:25');
  });

  it('collapses a loop walked to the hop limit', async () => {
    const r = await run(['route', LOOP, 'nobody@example.com']);
    expect(r.stdout).toContain('... 18 more hops round the same cycle (exchange -> unix -> exchange)');
    expect(r.stdout).toContain('=> looped at exchange: 554 5.4.14');
    expect(r.stdout.split('\n').length).toBeLessThan(10);
  });

  it('routes from a system (local submission): a foreign domain goes out by MX', async () => {
    const r = await run(['route', METHOD1, '--from', 'unix', 'someone@foreign.test']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('someone@foreign.test (from unix)');
    expect(r.stdout).toContain('=> external: leaves the organisation for foreign.test');
  });

  it('says so when no system of the file is a gateway', async () => {
    const file = join(tmp, 'no-gateway.yaml');
    writeFileSync(file, 'version: 1\nsystems:\n  a: { kind: postfix, host: mx.example.com }\n');
    const r = await run(['route', file, 'x@example.com']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('x@example.com\n  => refused: no system of the file is a gateway (gateway: true) to receive it: 554 5.7.1\n\n');
  });

  it('colours only on a TTY and honours NO_COLOR', async () => {
    expect((await run(['route', METHOD1, 'carol@example.com'], { isTTY: true })).stdout).toContain('\u001b[32m');
    expect((await run(['route', METHOD1, 'carol@example.com'], { isTTY: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\u001b[');
  });
});

describe('chainmail route --json', () => {
  it('prints exactly the spec shape, as JSON.stringify would', async () => {
    const r = await run(['route', METHOD1_OPEN, '--json', 'carol@example.com', 'nobody@example.com']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { version: number; routes: Record<string, unknown>[] };
    expect(r.stdout).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    expect(Object.keys(doc)).toEqual(['version', 'routes']);
    expect(doc.version).toBe(1);
    expect(doc.routes).toEqual([
      {
        recipient: 'carol@example.com',
        from: 'internet',
        hops: [
          { system: 'exchange', decision: 'forward', reason: 'policy "Shared example.com" is not authoritative for example.com: connector "To UNIX"', nextHop: '[192.168.1.10]:25', address: 'carol@example.com', nextSystem: 'unix' },
          { system: 'unix', decision: 'deliver', reason: 'local mailbox', address: 'carol@example.com' },
        ],
        outcome: { kind: 'delivered', system: 'unix', mailbox: 'carol@example.com' },
      },
      {
        recipient: 'nobody@example.com',
        from: 'internet',
        hops: [
          expect.objectContaining({ system: 'exchange', decision: 'forward', nextHop: '[192.168.1.10]:25' }),
          { system: 'unix', decision: 'bounce', reason: 'policy "UNIX domains" is authoritative for example.com and there is no such recipient', address: 'nobody@example.com' },
        ],
        outcome: { kind: 'bounced', system: 'unix', status: '5.1.1', code: 550 },
      },
    ]);
  });

  it('includes the cycle of a loop and the host of an external outcome', async () => {
    const loop = JSON.parse((await run(['route', LOOP, '--json', 'nobody@example.com'])).stdout) as { routes: { hops: unknown[]; outcome: unknown }[] };
    expect(loop.routes[0]?.outcome).toEqual({ kind: 'looped', system: 'exchange', status: '5.4.14', code: 554 });
    expect(loop.routes[0]?.hops).toHaveLength(21);
    const ext = JSON.parse((await run(['route', IDN, '--json', 'yamada@xn--r8jz45g.jp'])).stdout) as { routes: { outcome: unknown }[] };
    expect(ext.routes[0]?.outcome).toEqual({ kind: 'external', host: '[203.0.113.25]:25' });
  });

  it('prints an empty list for an empty recipients file', async () => {
    const file = join(tmp, 'empty.txt');
    writeFileSync(file, '# nothing yet\n\n');
    const r = await run(['route', METHOD1, '--json', '--recipients', file]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ version: 1, routes: [] });
    expect(r.stderr).toContain('no addresses in');
  });
});

describe('chainmail route --recipients', () => {
  it.each([
    ['a@x.example\n\n# comment\n  b@x.example  \r\nc#d@x.example # trailing comment\n<e@x.example>\n', ['a@x.example', 'b@x.example', 'c#d@x.example', 'e@x.example']],
    ['\ufeffa@x.example', ['a@x.example']],
    ['', []],
    ['x@b\u00fccher.example\n\u00e9@x.example\n', ['x@b\u00fccher.example', '\u00e9@x.example']],
  ])('parses %j', (text, expected) => {
    expect(parseRecipients(text)).toEqual(expected);
    // a file's bytes, line by line, as its whole text
    expect(parseRecipients(Buffer.from(text))).toEqual(expected);
  });

  it('decodes a file line by line exactly as its whole text, invalid UTF-8 included', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(0x0a, 0x0d, 0x20, 0x23, 0x3c, 0x3e, 0x40, 0xef, 0xbb, 0xbf, 0xc3, 0xa9, 0xe2, 0x82), fc.integer({ min: 0, max: 255 })), { maxLength: 200 }), (bytes) => {
        const buf = Buffer.from(bytes);
        expect(parseRecipients(buf)).toEqual(parseRecipients(buf.toString('utf8')));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a file and adds its addresses after the ones on the command line', async () => {
    const file = join(tmp, 'list.txt');
    writeFileSync(file, '# from the helpdesk\ncarol@example.com\n\nnobody@example.com\n');
    const r = await run(['route', METHOD1, 'alice@example.com', '--recipients', file, '--json']);
    const doc = JSON.parse(r.stdout) as { routes: { recipient: string }[] };
    expect(doc.routes.map((x) => x.recipient)).toEqual(['alice@example.com', 'carol@example.com', 'nobody@example.com']);
  });

  // as an SMTP server answers RCPT TO:<bad@@example.com> (Postfix smtpd, the relay): 501 5.1.3
  it('refuses an address with two "@" as bad syntax, 501 5.1.3, not as an unknown recipient', async () => {
    const file = join(tmp, 'bad.txt');
    writeFileSync(file, 'bad@@example.com\ncarol@example.com\n');
    const r = await run(['route', METHOD1, '--recipients', file, '--json']);
    const doc = JSON.parse(r.stdout) as { routes: { recipient: string; outcome: { kind: string; status?: string } }[] };
    expect(doc.routes.map((x) => [x.recipient, x.outcome.kind, x.outcome.status])).toEqual([
      ['bad@@example.com', 'refused', '5.1.3'],
      ['carol@example.com', 'delivered', undefined],
    ]);
  });

  it('reads standard input for "-"', async () => {
    const r = await run(['route', METHOD1, '--recipients', '-'], { stdin: 'carol@example.com\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('=> delivered by unix');
    // an io that gives standard input's bytes (a Uint8Array, not a Buffer: a view into a larger buffer)
    const text = '# list\ncarol@example.com\n<robert@example.com>\n\u00e9l\u00e8ve@example.com\n';
    const bytes = Buffer.from(`xx${text}yy`, 'utf8');
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 2, bytes.length - 4);
    const fromBytes = await run(['route', METHOD1, '--recipients', '-'], { stdin: view });
    expect(fromBytes).toEqual(await run(['route', METHOD1, '--recipients', '-'], { stdin: text }));
    expect(fromBytes.stdout.match(/^\S.*$/gm)).toEqual(['carol@example.com', 'robert@example.com', '\u00e9l\u00e8ve@example.com']);
  });

  it('routes 100,000 recipients, streaming the JSON in chunks', async () => {
    const n = 100_000;
    const lines = ['# generated'];
    for (let i = 0; i < n; i++) lines.push(i % 4 === 0 ? 'carol@example.com' : i % 4 === 1 ? `user${i}@example.com` : i % 4 === 2 ? `User${i}@Foreign.test` : 'robert@example.com');
    const file = join(tmp, 'many.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await run(['route', METHOD1, '--recipients', file, '--json']);
    expect(r.code).toBe(0);
    expect(r.writes).toBeGreaterThan(100);
    const doc = JSON.parse(r.stdout) as { routes: { recipient: string; outcome: { kind: string; system?: string; status?: string } }[] };
    expect(doc.routes).toHaveLength(n);
    expect(doc.routes[0]?.outcome).toMatchObject({ kind: 'delivered', system: 'unix' });
    expect(doc.routes[1]).toMatchObject({ recipient: 'user1@example.com', outcome: { kind: 'bounced', system: 'unix', status: '5.1.1' } });
    expect(doc.routes[n - 2]?.outcome).toMatchObject({ kind: 'refused', status: '5.7.1' });
    expect(doc.routes[n - 1]?.outcome).toMatchObject({ kind: 'delivered', system: 'exchange' });
  }, 120_000);
});

describe('chainmail route: errors', () => {
  it.each([
    [['route'], /name the chainmail FILE/],
    [['route', METHOD1], /name at least one ADDRESS/],
    [['route', METHOD1, 'a@example.com', '--bogus'], /Unknown option '--bogus'.*chainmail route --help/],
    [['route', METHOD1, 'a@example.com', '--recipients', '/nonexistent/list.txt'], /^chainmail route: cannot read --recipients \/nonexistent\/list\.txt \(ENOENT\)/],
    [['route', 'no/such/file.yaml', 'a@example.com'], /^chainmail route: .*no\/such\/file\.yaml/],
  ])('%j exits 2 with one line', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('names the unknown --from system with a did-you-mean', async () => {
    const r = await run(['route', METHOD1, 'a@example.com', '--from', 'exchang']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('chainmail route: unknown system "exchang" for --from; did you mean "exchange"? (use internet or one of: exchange, unix)\n');
  });

  it('exits 1 with the findings when the file does not parse', async () => {
    const file = join(tmp, 'broken.yaml');
    writeFileSync(file, 'version: 1\nsystems: [\n');
    const r = await run(['route', file, 'a@example.com']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+: error: .* \[yaml-syntax\]/);
    expect(r.stderr).toMatch(/has errors that prevent routing; fix them first \(chainmail lint /);
  });
});
