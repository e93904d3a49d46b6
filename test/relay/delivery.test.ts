import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/tools.js';
import { maildir, makeOrg, message, startSystem, waitFor, type Org, type TestRelay } from './support/org.js';
import { startSink } from './support/sink.js';
import { RawSmtp, sendOnce } from './support/smtp-client.js';

/**
 * Onward delivery: retries with backoff on 4xx and connection failures, a DSN (RFC 3464)
 * at once on 5xx and after the queue lifetime, never to the null sender; loops stopped by
 * the hop limit and by "loops back to myself".
 */
let org: Org;
let gw: TestRelay;
let sink: Awaited<ReturnType<typeof startSink>>;
let deadPort: number;
const flakyTries = new Map<string, number>();

beforeAll(async () => {
  const [pg, ps] = [await freePort(), await freePort()];
  deadPort = await freePort();
  org = makeOrg(`
version: 1
name: delivery
domains:
  example.test: {}
  far.test: { remote: true }
  dead.test: { remote: true }
  self.test: {}
systems:
  gw: { kind: relay, host: "[127.0.0.1]:${pg}", gateway: true, mailboxes: [alice@example.test] }
policies:
  - name: gw
    system: gw
    addresses:
      - { space: "@example.test", primary: true, authoritative: true }
      - { space: "@far.test", authoritative: false }
      - { space: "@dead.test", authoritative: false }
      - { space: "@self.test", authoritative: false }
connectors:
  - { name: far, system: gw, addressSpaces: [far.test], smartHosts: ["[127.0.0.1]:${ps}"], allowRelay: true }
  - { name: dead, system: gw, addressSpaces: [dead.test], smartHosts: ["[127.0.0.1]:${deadPort}"], allowRelay: true }
  - { name: self, system: gw, addressSpaces: [self.test], smartHosts: ["[127.0.0.1]:${pg}"], allowRelay: true }
contacts:
  - { cn: Far Contact, targetAddress: perm2@far.test, proxyAddresses: [contact@example.test], system: gw }
`);
  sink = await startSink(ps, (rcpt) => {
    if (rcpt.startsWith('perm')) return { code: 550, text: 'no such user here' };
    if (rcpt === 'temp@far.test') return { code: 450, text: 'mailbox busy' };
    if (rcpt === 'flaky@far.test') {
      const n = (flakyTries.get(rcpt) ?? 0) + 1;
      flakyTries.set(rcpt, n);
      if (n <= 2) return { code: 451, text: 'try again' };
    }
    return undefined;
  });
  gw = await startSystem(org, 'gw', { retry: { minBackoff: 200, maxBackoff: 500, queueLifetime: 2000 } });
});

afterAll(async () => {
  await gw?.close();
  await sink?.close();
  org?.cleanup();
});

const dsnFor = (subject: string): Promise<string> =>
  waitFor(
    () => maildir(gw.spoolDir, 'alice@example.test').map((f) => f.toString('utf8')).find((t) => t.includes('multipart/report') && t.includes(`Subject: ${subject}\r\n`)),
    15_000,
    `the DSN about "${subject}"`,
  );

describe('delivery to next hops', () => {
  it('forwards to the smart host, reusing pooled connections', async () => {
    for (let i = 0; i < 3; i++) expect((await sendOnce(gw.address().port, 'alice@example.test', ['ok@far.test'], message(`pooled ${i}`))).ok).toBe(true);
    await gw.idle();
    expect(sink.messages.filter((m) => m.data.includes('Subject: pooled'))).toHaveLength(3);
  });

  it('a 5xx from the next hop: a DSN to the sender at once (RFC 3464)', async () => {
    const r = await sendOnce(gw.address().port, 'alice@example.test', ['perm@far.test'], message('perm-fail'));
    expect(r.ok).toBe(true);
    const dsn = await dsnFor('perm-fail');
    expect(dsn).toMatch(/^Return-Path: <>\r\n/);
    expect(dsn).toMatch(/^From: MAILER-DAEMON@gw\.relay\.test \(Mail Delivery System\)$/m);
    expect(dsn).toMatch(/^Auto-Submitted: auto-replied$/m);
    expect(dsn).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status;$/m);
    expect(dsn).toMatch(/^Content-Type: message\/delivery-status$/m);
    expect(dsn).toMatch(/^Reporting-MTA: dns; gw\.relay\.test$/m);
    expect(dsn).toMatch(/^Arrival-Date: \w{3}, \d+ \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/m);
    expect(dsn).toMatch(/^Final-Recipient: rfc822; perm@far\.test$/m);
    expect(dsn).toMatch(/^Action: failed$/m);
    expect(dsn).toMatch(/^Status: 5\.1\.1$/m);
    expect(dsn).toMatch(new RegExp(`^Remote-MTA: dns; \\[127\\.0\\.0\\.1\\]:${sink.port}$`, 'm'));
    expect(dsn).toMatch(/^Diagnostic-Code: smtp; 550 5\.1\.1 no such user here$/m);
    expect(dsn).toMatch(/^Content-Type: text\/rfc822-headers$/m);
    expect(gw.events.some((e) => e.event === 'bounce' && e['to'] === 'perm@far.test' && e['status'] === '5.1.1')).toBe(true);
  });

  it('a rewritten recipient (contact) is reported with Original-Recipient', async () => {
    await sendOnce(gw.address().port, 'alice@example.test', ['contact@example.test'], message('contact-fail'));
    const dsn = await dsnFor('contact-fail');
    expect(dsn).toMatch(/^Final-Recipient: rfc822; perm2@far\.test$/m);
    expect(dsn).toMatch(/^Original-Recipient: rfc822; contact@example\.test$/m);
  });

  it('a 4xx is retried with backoff until it succeeds', async () => {
    await sendOnce(gw.address().port, 'alice@example.test', ['flaky@far.test'], message('flaky'));
    await waitFor(() => sink.messages.find((m) => m.to.includes('flaky@far.test')), 10_000, 'the flaky delivery');
    const defers = gw.events.filter((e) => e.event === 'defer' && e['to'] === 'flaky@far.test');
    expect(defers).toHaveLength(2);
    expect(defers[0]).toMatchObject({ status: '4.3.0' });
  });

  it('a 4xx until the queue lifetime ends: a DSN with the last temporary status', async () => {
    await sendOnce(gw.address().port, 'alice@example.test', ['temp@far.test'], message('temp-fail'));
    const dsn = await dsnFor('temp-fail');
    expect(dsn).toMatch(/^Status: 4\.2\.1$/m);
    expect(dsn).toMatch(/^Action: failed$/m);
    expect(dsn).toMatch(/^Diagnostic-Code: smtp; 450 4\.2\.1 mailbox busy \(gave up after \d+ s in the queue\)$/m);
    expect(gw.events.filter((e) => e.event === 'defer' && e['to'] === 'temp@far.test').length).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('one DSN per message: a 5xx recipient and one that fails until the queue lifetime end up in the same DSN', async () => {
    await sendOnce(gw.address().port, 'alice@example.test', ['perm3@far.test', 'temp@far.test'], message('two-outcomes'));
    const dsn = await dsnFor('two-outcomes');
    expect(dsn).toMatch(/^Final-Recipient: rfc822; perm3@far\.test$/m);
    expect(dsn).toMatch(/^Final-Recipient: rfc822; temp@far\.test$/m);
    await gw.idle();
    const dsns = maildir(gw.spoolDir, 'alice@example.test').filter((f) => f.includes('multipart/report') && f.includes('Subject: two-outcomes\r\n'));
    expect(dsns).toHaveLength(1);
    // the permanent failure was not tried again while the other recipient was retried
    expect(sink.messages.filter((m) => m.data.includes('Subject: two-outcomes\r\n')).length).toBe(0);
    expect(gw.events.filter((e) => e.event === 'bounce' && e['id'] === gw.events.find((x) => x.event === 'bounce' && x['to'] === 'perm3@far.test')?.['id']).map((e) => e['to'])).toEqual(['perm3@far.test', 'temp@far.test']);
  }, 20_000);

  it('a next hop that does not answer: deferred, then bounced', async () => {
    await sendOnce(gw.address().port, 'alice@example.test', ['x@dead.test'], message('dead-hop'));
    const dsn = await dsnFor('dead-hop');
    expect(dsn).toMatch(/^Status: 4\.4\.1$/m);
    expect(dsn).toMatch(new RegExp(`^Diagnostic-Code: smtp; connect to \\[127\\.0\\.0\\.1\\]:${deadPort}: .*ECONNREFUSED`, 'm'));
  }, 20_000);

  it('never a DSN to the null sender', async () => {
    const r = await sendOnce(gw.address().port, '', ['perm@far.test'], message('null-sender'));
    expect(r.ok).toBe(true);
    const bounce = await waitFor(() => gw.events.find((e) => e.event === 'bounce' && e['to'] === 'perm@far.test' && e['dsn'] === 'none (null sender)'));
    expect(bounce).toBeDefined();
    await gw.idle();
    expect(maildir(gw.spoolDir, 'alice@example.test').some((f) => f.includes('Subject: null-sender'))).toBe(false);
  });
});

describe('loops', () => {
  it('a next hop that is this relay itself: 554 5.4.6 loops back to myself', async () => {
    const { client } = await RawSmtp.open(gw.address().port);
    await client.cmd('EHLO client.test');
    await client.cmd('MAIL FROM:<alice@example.test>');
    const r = await client.cmd('RCPT TO:<x@self.test>');
    expect(r.code).toBe(554);
    expect(r.raw).toMatch(/5\.4\.6 .*loops back to myself/);
    await client.quit();
  });

  it('refuses at DATA when the Received: count reaches the hop limit (50 for a relay)', async () => {
    const hops = (n: number): string[] => Array.from({ length: n }, (_, i) => `Received: from hop${i}.test by hop${i + 1}.test; Mon, 1 Jan 2024 00:00:00 +0000`);
    const over = await sendOnce(gw.address().port, 'alice@example.test', ['ok@far.test'], message('hops-50', 'x\r\n', hops(50)));
    expect(over.ok).toBe(false);
    expect(over.replies.at(-1)?.raw).toMatch(/^554 5\.4\.6 too many hops: 50 Received: headers reach the hop limit of 50/);
    const under = await sendOnce(gw.address().port, 'alice@example.test', ['ok@far.test'], message('hops-49', 'x\r\n', hops(49)));
    expect(under.ok).toBe(true);
  });
});

describe('faults', () => {
  it('a spool that cannot be written answers 452 4.3.1; what was accepted stays delivered', async () => {
    const spool = join(org.dir, 'spool-fault');
    // one segment per message, so every message opens a new file
    const r = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, spool, spoolTuning: { segmentSize: 1, compactAfter: 60_000 } });
    try {
      expect((await sendOnce(r.address().port, 's@outside.test', ['alice@example.test'], message('before fault'))).ok).toBe(true);
      await r.idle();
      renameSync(join(spool, 'queue'), join(spool, 'queue.away'));
      writeFileSync(join(spool, 'queue'), 'not a directory');
      const failed = await sendOnce(r.address().port, 's@outside.test', ['alice@example.test'], message('during fault'));
      expect(failed.ok).toBe(false);
      expect(failed.replies.at(-1)?.raw).toBe('452 4.3.1 insufficient system storage, try again later');
      // said once in the log, not per message
      expect(r.events.filter((e) => e.event === 'spool' && e['state'] === 'unwritable')).toHaveLength(1);
      rmSync(join(spool, 'queue'));
      renameSync(join(spool, 'queue.away'), join(spool, 'queue'));
      expect((await sendOnce(r.address().port, 's@outside.test', ['alice@example.test'], message('after fault'))).ok).toBe(true);
      await waitFor(() => maildir(spool, 'alice@example.test').length === 2);
      const subjects = maildir(spool, 'alice@example.test').map((f) => /Subject: ([^\r]+)/.exec(f.toString())?.[1]);
      expect(subjects.sort()).toEqual(['after fault', 'before fault']);
      expect(r.events.filter((e) => e.event === 'spool').map((e) => e['state'])).toEqual(['unwritable', 'writable']);
    } finally {
      await r.close();
    }
  });
});
