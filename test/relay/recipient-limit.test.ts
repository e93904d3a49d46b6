import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/tools.js';
import { startCountingSink, type CountingSink } from './support/counting-sink.js';
import { gatewayYaml, maildir, makeOrg, message, startSystem, type Org, type TestRelay } from './support/org.js';
import { RawSmtp } from './support/smtp-client.js';

/**
 * Recipient limits of a next hop (RFC 5321 sections 4.5.3.1.8 and 4.5.3.1.10): one that
 * answers `452 4.5.3` after 100 RCPTs gets the rest in further transactions of the same
 * attempt, on the same connection; so does a configured limit per transaction (Postfix
 * smtp_destination_recipient_limit). Either way the message is delivered in one attempt:
 * no defer, no bounce, no DSN.
 */
let org: Org;
let sink: CountingSink;
let gw: TestRelay;

beforeAll(async () => {
  sink = await startCountingSink({ rcptLimit: 100 });
  org = makeOrg(gatewayYaml('relay recipient limits', await freePort(), sink.port));
  // a long backoff: a second attempt would not come within the test
  gw = await startSystem(org, 'gw', { retry: { minBackoff: 600_000, maxBackoff: 600_000, queueLifetime: 3_600_000 } });
});

afterAll(async () => {
  await gw?.close();
  await sink?.close();
  org?.cleanup();
});

/** One message from alice (so that a DSN would land in her Maildir) to `n` recipients at the next hop, pipelined. */
async function sendTo(relay: TestRelay, subject: string, n: number): Promise<string[]> {
  const to = Array.from({ length: n }, (_, i) => `r${i}@any.test`);
  const { client } = await RawSmtp.open(relay.address().port);
  try {
    expect((await client.cmd('EHLO many.test')).code).toBe(250);
    client.write(`MAIL FROM:<alice@example.test>\r\n${to.map((t) => `RCPT TO:<${t}>\r\n`).join('')}`);
    expect((await client.reply()).code).toBe(250);
    for (const t of to) expect((await client.reply()).code, t).toBe(250);
    expect((await client.cmd('DATA')).code).toBe(354);
    client.write(message(subject));
    expect((await client.cmd('.')).code).toBe(250);
  } finally {
    await client.quit();
  }
  return to;
}

describe('a next hop with a recipient limit', () => {
  it('1,000 recipients to a next hop that answers 452 4.5.3 after 100: ten transactions on one connection, one attempt, no DSN', async () => {
    const to = await sendTo(gw, 'a thousand recipients', 1000);
    await gw.idle();
    const id = '<athousandrecipients@client.test>';
    const txs = sink.transactions.filter((t) => t.messageId === id);
    expect(txs.map((t) => t.to.length)).toEqual(Array(10).fill(100));
    expect(new Set(txs.map((t) => t.session)).size).toBe(1);
    expect(txs.flatMap((t) => t.to).sort()).toEqual([...to].sort());
    expect(gw.events.filter((e) => e.event === 'deliver')).toHaveLength(1000);
    expect(gw.events.filter((e) => e.event === 'defer' || e.event === 'bounce')).toEqual([]);
    expect(maildir(gw.spoolDir, 'alice@example.test')).toEqual([]);
    expect(gw.spool.size).toBe(0);
  }, 120_000);

  it('a next hop that says 552 5.5.3 after 100 (to be taken as 452, RFC 5321 section 4.5.3.1.10): the same, no bounce', async () => {
    const strict = await startCountingSink({ rcptLimit: 100, rcptLimitCode: 552 });
    const o = makeOrg(gatewayYaml('relay recipient limits 552', await freePort(), strict.port));
    const relay = await startSystem(o, 'gw', { listen: { host: '127.0.0.1', port: 0 }, retry: { minBackoff: 600_000, maxBackoff: 600_000, queueLifetime: 3_600_000 } });
    try {
      await sendTo(relay, 'strict limit', 250);
      await relay.idle();
      expect(strict.transactions.map((t) => t.to.length)).toEqual([100, 100, 50]);
      expect(relay.events.filter((e) => e.event === 'defer' || e.event === 'bounce')).toEqual([]);
      expect(maildir(relay.spoolDir, 'alice@example.test')).toEqual([]);
    } finally {
      await relay.close();
      await strict.close();
      o.cleanup();
    }
  }, 60_000);

  it('a configured limit per transaction (recipientsPerTransaction 30): 100 recipients in 30 + 30 + 30 + 10', async () => {
    const other = await startSystem(org, 'gw', {
      listen: { host: '127.0.0.1', port: 0 },
      spool: `${gw.spoolDir}-limit`,
      retry: { minBackoff: 600_000, maxBackoff: 600_000, queueLifetime: 3_600_000, recipientsPerTransaction: 30 },
    });
    try {
      await sendTo(other, 'thirty per transaction', 100);
      await other.idle();
      const txs = sink.transactions.filter((t) => t.messageId === '<thirtypertransaction@client.test>');
      expect(txs.map((t) => t.to.length)).toEqual([30, 30, 30, 10]);
      expect(new Set(txs.map((t) => t.session)).size).toBe(1);
      expect(other.events.filter((e) => e.event === 'defer' || e.event === 'bounce')).toEqual([]);
    } finally {
      await other.close();
    }
  }, 60_000);
});
