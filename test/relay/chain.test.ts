import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/routing/walk.js';
import { freePort } from '../support/tools.js';
import { makeOrg, maildir, message, startSystem, waitFor, type Org, type TestRelay } from './support/org.js';
import { startSink } from './support/sink.js';
import { RawSmtp } from './support/smtp-client.js';

/**
 * Three relays on loopback compiled from one file: the gateway (no mailboxes of corp.test,
 * forwards the shared domain down the chain), mid (some corp.test mailboxes, forwards the
 * rest) and back (authoritative, bounces unknown recipients). Every test address is routed
 * by the simulator and sent through the real relays, and the two must agree.
 */
function chainYaml(p: { gw: number; mid: number; back: number; sink: number }): string {
  return `
version: 1
name: three relays
domains:
  corp.test: {}
  ops.test: {}
  partner.test: { remote: true }
systems:
  gw:
    kind: relay
    host: "[127.0.0.1]:${p.gw}"
    gateway: true
    mailboxes: [ops@ops.test]
  mid:
    kind: relay
    host: "[127.0.0.1]:${p.mid}"
    mailboxes: [m1@corp.test, { address: m2@corp.test, aliases: [m2.alias@corp.test] }]
  back:
    kind: relay
    host: "[127.0.0.1]:${p.back}"
    mailboxes: [b1@corp.test, b2@corp.test]
policies:
  - { name: gw ops, system: gw, addresses: [{ space: "@ops.test", primary: true, authoritative: true }] }
  - { name: gw corp, system: gw, addresses: [{ space: "@corp.test", authoritative: false }] }
  - { name: gw partner, system: gw, addresses: [{ space: "@partner.test", authoritative: false }] }
  - { name: mid corp, system: mid, addresses: [{ space: "@corp.test", primary: true, authoritative: false }] }
  - { name: back corp, system: back, addresses: [{ space: "@corp.test", primary: true, authoritative: true }] }
connectors:
  - { name: gw to mid, system: gw, addressSpaces: [corp.test], to: mid, allowRelay: true }
  - { name: gw to partner, system: gw, addressSpaces: [partner.test], smartHosts: ["[127.0.0.1]:${p.sink}"], allowRelay: true }
  - { name: mid to back, system: mid, addressSpaces: [corp.test], to: back, allowRelay: true }
  - { name: mid to gw, system: mid, addressSpaces: [ops.test, partner.test], to: gw, allowRelay: false }
  - { name: back to gw, system: back, addressSpaces: [ops.test, partner.test], to: gw, allowRelay: false }
contacts:
  - cn: Partner User
    targetAddress: pu@partner.test
    proxyAddresses: [partner.user@corp.test]
    system: gw
chains:
  - { name: corp, domains: [corp.test], order: [gw, mid, back], rejectUnknownAtGateway: false }
`;
}

let org: Org;
const relays = new Map<string, TestRelay>();
let sink: Awaited<ReturnType<typeof startSink>>;

beforeAll(async () => {
  const ports = { gw: await freePort(), mid: await freePort(), back: await freePort(), sink: await freePort() };
  org = makeOrg(chainYaml(ports));
  sink = await startSink(ports.sink);
  for (const s of ['gw', 'mid', 'back']) relays.set(s, await startSystem(org, s));
});

afterAll(async () => {
  for (const r of relays.values()) await r.close();
  await sink?.close();
  org?.cleanup();
});

/** What the running relays did with a message to `rcpt`, in the simulator's terms. */
async function observe(rcpt: string, subject: string): Promise<{ kind: string; system?: string; status?: string; mailbox?: string; host?: string }> {
  const gw = relays.get('gw')!;
  const { client } = await RawSmtp.open(gw.address().port);
  await client.cmd('EHLO client.test');
  await client.cmd('MAIL FROM:<ops@ops.test>');
  const rc = await client.cmd(`RCPT TO:<${rcpt}>`);
  if (rc.code !== 250) {
    await client.quit();
    return { kind: 'refused', system: 'gw', status: rc.lines[0]!.split(' ')[0]! };
  }
  await client.cmd('DATA');
  client.write(message(subject));
  const end = await client.cmd('.');
  expect(end.code).toBe(250);
  await client.quit();
  return waitFor(async () => {
    for (const [name, r] of relays) {
      for (const e of r.events) {
        if (e.event !== 'deliver') continue;
        const files = typeof e['mailbox'] === 'string' ? maildir(r.spoolDir, e['mailbox']) : [];
        const hit = files.find((f) => f.includes(`Subject: ${subject}\r\n`));
        if (hit) {
          // a DSN to ops@ops.test carries the subject in the attached headers
          const status = /^Status: (\S+)/m.exec(hit.toString('utf8'));
          if (hit.includes('Content-Type: multipart/report')) {
            // Remote-MTA names the system that refused, by its address
            const remote = /^Remote-MTA: dns; \[127\.0\.0\.1\]:(\d+)$/m.exec(hit.toString('utf8'));
            const system = [...org.tables.values()].find((t) => String(t.port) === remote?.[1])?.system ?? '?';
            return { kind: 'bounced', system, status: status?.[1] ?? '' };
          }
          return { kind: 'delivered', system: name, mailbox: e['mailbox'] as string };
        }
      }
    }
    const out = sink.messages.find((m) => m.data.includes(`Subject: ${subject}\r\n`));
    if (out) return { kind: 'external', host: `[127.0.0.1]:${sink.port}` };
    return undefined;
  }, 15_000, `the message to ${rcpt}`);
}

describe('a chain of three relays behaves as the simulator predicts', () => {
  const addresses = [
    'ops@ops.test',
    'm1@corp.test',
    'm2.alias@corp.test',
    'b1@corp.test',
    'B2@Corp.Test',
    'nobody@corp.test',
    'ghost@ops.test',
    'x@foreign.test',
    'partner.user@corp.test',
    'pu@partner.test',
  ];
  it.each(addresses)('%s', async (rcpt) => {
    const route: Route = org.simulator.route(rcpt);
    const seen = await observe(rcpt, `chain ${rcpt}`);
    const o = route.outcome;
    switch (o.kind) {
      case 'delivered':
        expect(seen).toEqual({ kind: 'delivered', system: o.system, mailbox: o.mailbox });
        break;
      case 'refused':
        expect(seen).toEqual({ kind: 'refused', system: o.system, status: o.status });
        break;
      case 'bounced':
        // the previous system reports what the refusing system answered
        expect(seen).toEqual({ kind: 'bounced', system: o.system, status: o.status });
        break;
      case 'external':
        expect(seen).toEqual({ kind: 'external', host: o.host });
        break;
      default:
        throw new Error(`unexpected outcome ${o.kind} in this file`);
    }
  });

  it('covers every outcome kind the file can produce', () => {
    const kinds = new Set(addresses.map((a) => org.simulator.route(a).outcome.kind));
    expect([...kinds].sort()).toEqual(['bounced', 'delivered', 'external', 'refused']);
  });
});

describe('a looping file', () => {
  let loopOrg: Org;
  const loops = new Map<string, TestRelay>();
  beforeAll(async () => {
    const pa = await freePort();
    const pb = await freePort();
    loopOrg = makeOrg(`
version: 1
name: loop
domains:
  loop.test: {}
  ops.test: {}
systems:
  a: { kind: relay, host: "[127.0.0.1]:${pa}", gateway: true, hopLimit: 6, mailboxes: [ops@ops.test] }
  b: { kind: relay, host: "[127.0.0.1]:${pb}", hopLimit: 6 }
policies:
  - { name: a ops, system: a, addresses: [{ space: "@ops.test", primary: true, authoritative: true }] }
  - { name: a loop, system: a, addresses: [{ space: "@loop.test", authoritative: false }] }
  - { name: b loop, system: b, addresses: [{ space: "@loop.test", primary: true, authoritative: false }] }
connectors:
  - { name: a to b, system: a, addressSpaces: [loop.test], to: b, allowRelay: true }
  - { name: b to a, system: b, addressSpaces: [loop.test, ops.test], to: a, allowRelay: true }
`);
    for (const s of ['a', 'b']) loops.set(s, await startSystem(loopOrg, s));
  });
  afterAll(async () => {
    for (const r of loops.values()) await r.close();
    loopOrg?.cleanup();
  });

  it('is stopped by the hop limit with a DSN back to the sender, as simulated', async () => {
    const route = loopOrg.simulator.route('x@loop.test');
    expect(route.outcome).toMatchObject({ kind: 'looped', status: '5.4.6' });
    const a = loops.get('a')!;
    const { client } = await RawSmtp.open(a.address().port);
    await client.cmd('EHLO client.test');
    const r = await client.mail('ops@ops.test', ['x@loop.test'], message('loop-1'));
    expect(r.ok).toBe(true);
    await client.quit();
    const dsn = await waitFor(() => maildir(a.spoolDir, 'ops@ops.test').find((f) => f.includes('Subject: loop-1')), 15_000, 'the DSN');
    const text = dsn.toString('utf8');
    expect(text).toMatch(/^Return-Path: <>\r\n/);
    expect(text).toContain('Content-Type: multipart/report; report-type=delivery-status;');
    expect(text).toMatch(/^Final-Recipient: rfc822; x@loop\.test$/m);
    expect(text).toMatch(/^Status: 5\.4\.6$/m);
    expect(text).toMatch(/^Diagnostic-Code: smtp; 554 5\.4\.6 too many hops: 6 Received: headers/m);
    // exactly one relay saw the limit reached and refused the message
    const refusals = [...loops.values()].flatMap((x) => x.events.filter((e) => e.event === 'refuse' && e['status'] === '5.4.6'));
    expect(refusals).toHaveLength(1);
  });
});
