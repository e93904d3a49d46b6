import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { RoutingTable } from '../../src/routing/table.js';
import { resolve as route } from '../../src/routing/resolve.js';
import { eventually, makePostfixDirs, sendMail, startPostfix, startSink, type PostfixInstance, type Sink } from '../support/postfix-gateway.js';
import { freePort, requireTools } from '../support/tools.js';

/**
 * End to end: the built Postfix artifacts of the gateway fixture, deployed into a private
 * Postfix instance on loopback, with smtp-sink listeners standing in for the local mailbox
 * store, Exchange, the UNIX server and the partner. A real SMTP client (swaks) sends; what
 * Postfix accepts, refuses and where it delivers must be what the routing engine says.
 */
const tools = requireTools('postfix', 'postmap', 'postconf', 'smtp-sink', 'swaks');
const FIXTURE = new URL('../../testdata/compile/003-postfix-gateway/chainmail.yaml', import.meta.url).pathname;
// the fixture's stand-in ports: local store, exchange, unix, partner
const PLACEHOLDERS = [2600, 2601, 2602, 2603] as const;
const NAMES = ['local', 'exchange', 'unix', 'partner'] as const;

describe.skipIf(!tools)('a Postfix gateway built by chainmail (real postfix, smtp-sink, swaks)', () => {
  let work: string;
  let postfix: PostfixInstance | undefined;
  const sinks = new Map<string, Sink>();
  let table: RoutingTable;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'chainmail-e2e-'));
    const ports = await Promise.all(PLACEHOLDERS.map(() => freePort()));
    let yaml = readFileSync(FIXTURE, 'utf8');
    PLACEHOLDERS.forEach((p, i) => (yaml = yaml.replaceAll(`[127.0.0.1]:${p}`, `[127.0.0.1]:${ports[i]}`)));
    writeFileSync(join(work, 'chainmail.yaml'), yaml);
    for (const [i, name] of NAMES.entries()) sinks.set(name, await startSink(ports[i] ?? 0));
    const dirs = makePostfixDirs();
    const out = join(work, 'out');
    let log = '';
    const io = { stdout: (t: string) => void (log += t), stderr: (t: string) => void (log += t), cwd: work, env: {}, isTTY: false };
    const code = await main(['build', 'chainmail.yaml', '--out', out, '--target', 'postfix,routes', '--postfix-dir', dirs.maps], io);
    if (code !== 0) throw new Error(`build failed (${code}):\n${log}`);
    table = JSON.parse(readFileSync(join(out, 'gw', 'routes.json'), 'utf8')) as RoutingTable;
    postfix = await startPostfix(dirs, join(out, 'gw', 'postfix'), await freePort());
  });

  afterAll(async () => {
    await postfix?.stop();
    for (const s of sinks.values()) await s.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The sink the routing engine says a recipient reaches from the gateway. */
  function expectedSink(rcpt: string): { sink: string; address: string } | { code: number; status: string } {
    let address = rcpt;
    for (;;) {
      const d = route(table, address, { origin: 'internet', received: 0 });
      if (d.kind === 'rewrite') {
        address = d.to;
        continue;
      }
      if (d.kind === 'refuse' || d.kind === 'loop') return { code: d.code, status: d.status };
      if (d.kind === 'deliver') return { sink: 'local', address: d.mailbox };
      if (d.kind !== 'forward') throw new Error(`unexpected decision ${d.kind}`);
      const port = d.nextHop.hosts[0]?.port;
      const name = [...sinks].find(([, s]) => s.port === port)?.[0];
      if (!name) throw new Error(`no sink on port ${port}`);
      return { sink: name, address };
    }
  }

  it.each([
    ['ops@example.com', 'local', 'a mailbox of the gateway goes to its localTransport'],
    ['abuse@example.net', 'local', 'an alias is rewritten to its mailbox (postmaster@example.net)'],
    ['alice@example.com', 'exchange', 'a known recipient of the chain goes to the next system'],
    ['a.smith@example.com', 'exchange', 'an alias of an Exchange mailbox is known at the gateway'],
    ['carol@example.com', 'exchange', "the UNIX server's recipient also goes to Exchange first (chain order)"],
    ['yamada@xn--r8jz45g.jp', 'unix', 'the IDN domain, as an A-label, goes to the UNIX server'],
    ['pat@example.net', 'partner', "a contact is rewritten to its targetAddress and sent to the partner's smart host"],
  ])('%s arrives at %s: %s', async (rcpt, sink) => {
    const want = expectedSink(rcpt);
    expect(want).toMatchObject({ sink });
    const r = await sendMail(postfix?.port ?? 0, rcpt);
    expect(r.rcpt, r.transcript).toMatch(/^250 /);
    expect(r.accepted, r.transcript).toBe(true);
    const address = 'address' in want ? want.address.toLowerCase() : '';
    const target = sinks.get(sink);
    const arrived = await eventually(() => target?.recipients().includes(address) ?? false);
    expect(arrived, `${address} did not reach ${sink}\n${postfix?.log() ?? ''}`).toBe(true);
  });

  it('rewrites the contact to its targetAddress in the envelope', () => {
    expect(sinks.get('partner')?.recipients()).toContain('pat@partner.example');
  });

  it.each([
    ['nobody@example.com', '550 5.1.1', 'an unknown recipient of the shared domain is refused at RCPT (no backscatter)'],
    ['nobody@example.net', '550 5.1.1', "an unknown recipient of the gateway's own domain is refused at RCPT"],
    ['someone@foreign.test', '554 5.7.1', 'a foreign domain is refused as relay'],
    ['someone@sub.example.com', '554 5.7.1', 'a subdomain of a shared domain is not accepted (parent_domain_matches_subdomains)'],
  ])('refuses %s with %s: %s', async (rcpt, reply) => {
    const want = expectedSink(rcpt);
    expect(want).toMatchObject({ code: Number(reply.slice(0, 3)), status: reply.slice(4) });
    const r = await sendMail(postfix?.port ?? 0, rcpt);
    expect(r.rcpt.slice(0, reply.length), r.transcript).toBe(reply);
    expect(r.accepted).toBe(false);
  });

  it('delivered nothing anywhere else', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const all = [...sinks.values()].flatMap((s) => s.recipients());
    expect(all.filter((a) => a.startsWith('nobody@') || a.startsWith('someone@'))).toEqual([]);
    expect(postfix?.log() ?? '').not.toMatch(/warning:|fatal:|panic:/);
  });
});
