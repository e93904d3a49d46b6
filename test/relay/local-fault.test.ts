import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/tools.js';
import { gatewayYaml, maildir, makeOrg, message, startSystem, waitFor, type Org } from './support/org.js';
import { sendOnce } from './support/smtp-client.js';

/**
 * A failure of the relay's own (here: the message body can no longer be read back from
 * the spool) is retried like any other failure: the backoff doubles with every attempt,
 * and at the end of the queue lifetime the message is bounced with one DSN, instead of
 * being retried at the first backoff for ever.
 */
let org: Org | undefined;
afterAll(() => org?.cleanup());

describe('a local fault at every attempt', () => {
  it('is retried with a growing backoff and bounced at the end of the queue lifetime', async () => {
    org = makeOrg(gatewayYaml('relay local fault', await freePort(), await freePort()));
    const gw = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, retry: { minBackoff: 1000, maxBackoff: 60_000, queueLifetime: 5000 } });
    try {
      // the next hop is down: the message waits in the spool
      expect((await sendOnce(gw.address().port, 'alice@example.test', ['user@any.test'], message('unreadable body'))).ok).toBe(true);
      await waitFor(() => gw.events.some((e) => e.event === 'defer'), 10_000, 'the first defer');
      // its body is cut off the segment: every later attempt fails before it is sent
      const queue = join(gw.spoolDir, 'queue');
      const seg = join(queue, readdirSync(queue).sort()[0]!);
      truncateSync(seg, statSync(seg).size - 200);
      const bounce = await waitFor(() => gw.events.find((e) => e.event === 'bounce'), 30_000, 'the bounce at the end of the queue lifetime');
      expect(bounce).toMatchObject({ to: 'user@any.test', status: '4.3.0' });
      expect(String(bounce['diagnostic'])).toMatch(/^local error: .*\(gave up after \d+ s in the queue\)$/);
      const waits = gw.events.filter((e) => e.event === 'error' && e['where'] === 'delivery' && e['retryIn'] !== undefined).map((e) => Number(e['retryIn']));
      expect(waits.length).toBeGreaterThan(0);
      // doubling, never back to the first backoff
      waits.forEach((w, i) => expect(w).toBeGreaterThanOrEqual(i === 0 ? 2 : 2 * waits[i - 1]!));
      // one DSN, to the sender's mailbox here
      await waitFor(() => maildir(gw.spoolDir, 'alice@example.test').length === 1, 10_000, 'the DSN');
      await gw.idle();
      expect(maildir(gw.spoolDir, 'alice@example.test')).toHaveLength(1);
      expect(maildir(gw.spoolDir, 'alice@example.test')[0]!.toString('latin1')).toMatch(/^Final-Recipient: rfc822; user@any\.test\r$/m);
    } finally {
      await gw.close();
    }
  }, 60_000);
});
