import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maildir, message, splitDelivered, startLocalGateway, waitFor, type Org, type TestRelay } from './support/org.js';
import { RawSmtp, sendOnce } from './support/smtp-client.js';

let org: Org;
let gw: TestRelay;

beforeAll(async () => {
  ({ org, gw } = await startLocalGateway('basic', ['example.test'], ['alice@example.test', '{ address: bob@example.test, aliases: [robert@example.test] }']));
});

afterAll(async () => {
  await gw?.close();
  org?.cleanup();
});

describe('relay basics', () => {
  it('greets with ESMTP and advertises the extensions of spec section 5', async () => {
    const { client, greeting } = await RawSmtp.open(gw.address().port);
    expect(greeting.code).toBe(220);
    expect(greeting.raw).toContain('gw.relay.test ESMTP');
    const ehlo = await client.cmd('EHLO client.test');
    expect(ehlo.code).toBe(250);
    for (const ext of ['PIPELINING', 'SIZE 26214400', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES']) expect(ehlo.lines).toContain(ext);
    expect(ehlo.lines.some((l) => l.startsWith('STARTTLS') || l.startsWith('AUTH'))).toBe(false);
    await client.quit();
  });

  it('delivers a local mailbox into Maildir with Return-Path and Received: before the bytes sent', async () => {
    const data = message('basic-1');
    const r = await sendOnce(gw.address().port, 'sender@outside.test', ['alice@example.test'], data);
    expect(r.ok).toBe(true);
    expect(r.replies.at(-1)?.raw).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]+$/);
    const files = await waitFor(() => maildir(gw.spoolDir, 'alice@example.test').length > 0 && maildir(gw.spoolDir, 'alice@example.test'));
    const d = splitDelivered(files[0]!);
    expect(d.returnPath).toBe('Return-Path: <sender@outside.test>\r\n');
    expect(d.received).toMatch(/^Received: from client\.test \(\[127\.0\.0\.1\]\)\r\n\tby gw\.relay\.test \(chainmail\) with ESMTP id [0-9A-Z]+\r\n\tfor <alice@example\.test>;\r\n\t\w{3}, /);
    expect(d.rest.equals(data)).toBe(true);
    const accept = gw.events.find((e) => e.event === 'accept');
    expect(accept).toMatchObject({ from: 'sender@outside.test', to: ['alice@example.test'] });
    // the deliver line follows the spool record of the delivery, which follows the Maildir file
    await waitFor(() => gw.events.some((e) => e.event === 'deliver' && e['mailbox'] === 'alice@example.test'), 60_000, 'the deliver line');
  });

  it('delivers an alias to its mailbox, one copy for two recipients of the same mailbox', async () => {
    const r = await sendOnce(gw.address().port, 'sender@outside.test', ['bob@example.test', 'robert@example.test'], message('alias'));
    expect(r.ok).toBe(true);
    await gw.idle();
    expect(maildir(gw.spoolDir, 'bob@example.test')).toHaveLength(1);
  });

  it.each([
    ['relay to a foreign domain', 'victim@elsewhere.test', 554, '5.7.1'],
    ['unknown recipient of an authoritative domain', 'nobody@example.test', 550, '5.1.1'],
    ['an address literal', 'root@[127.0.0.1]', 501, '5.1.3'],
  ])('refuses %s at RCPT', async (_what, rcpt, code, status) => {
    const { client } = await RawSmtp.open(gw.address().port);
    await client.cmd('EHLO client.test');
    await client.cmd('MAIL FROM:<sender@outside.test>');
    const r = await client.cmd(`RCPT TO:<${rcpt}>`);
    expect(r.code).toBe(code);
    expect(r.lines[0]).toMatch(new RegExp(`^${status.replace(/\./g, '\\.')} `));
    await client.quit();
  });
});
