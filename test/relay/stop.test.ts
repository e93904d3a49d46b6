import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/tools.js';
import { requireBuiltCli, spawnRelay, type RelayChild } from './support/child.js';
import { startCountingSink, type CountingSink } from './support/counting-sink.js';
import { gatewayYaml, makeOrg, message, startSystem, waitFor, type Org } from './support/org.js';
import { sendOnce } from './support/smtp-client.js';

/**
 * A stop (SIGTERM, close()) with deliveries in flight to a slow next hop (one that holds
 * its reply to the end of DATA until the test lets it answer): the relay accepts nothing
 * new, waits for the replies and records them, then exits 0; after a restart nothing is
 * sent again. A second SIGTERM, or the stop timeout, ends the wait at once, and the log
 * says how many deliveries may be repeated: exactly those the next hop then gets twice.
 */
const built = requireBuiltCli();
let org: Org;
let port: number;
let hopPort: number;
const children: RelayChild[] = [];
let sink: CountingSink | undefined;

beforeAll(async () => {
  port = await freePort();
  hopPort = await freePort();
  org = makeOrg(gatewayYaml('relay stop', port, hopPort));
});

afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL');
  await sink?.close();
  org?.cleanup();
});

function relay(spool: string, extra: readonly string[] = []): RelayChild {
  const c = spawnRelay(['--routes', org.routes('gw'), '--listen', `127.0.0.1:${port}`, '--spool', spool, '--hostname', 'gw.stop.test', '--greeting-delay', '0', '--min-backoff', '200', ...extra]);
  children.push(c);
  return c;
}

/** Sends `n` messages to the next hop's domain; returns their Message-IDs. */
async function send(tag: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const r = await sendOnce(port, 'sender@outside.test', [`u${i}@any.test`], message(`${tag} ${i}`));
      expect(r.ok, JSON.stringify(r.replies)).toBe(true);
      ids.push(`<${tag}${i}@client.test>`);
    }),
  );
  return ids;
}

/** Whether a new connection to the relay's port is refused (it stopped listening). */
function refused(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe.skipIf(!built)('stopping with deliveries in flight to a slow next hop', () => {
  it('SIGTERM waits for the replies, records them, exits 0; the restart sends nothing again', async () => {
    sink = await startCountingSink({ port: hopPort, hold: true });
    const spool = join(org.dir, 'spool-graceful');
    // a port chosen now, not in beforeAll: on a busy machine another test file can take a
    // port freed that long ago before this relay binds it (EADDRINUSE seen under load)
    port = await freePort();
    const first = relay(spool);
    await first.event((e) => e['event'] === 'listen');
    const ids = await send('graceful', 20);
    // all 20 reached the end of DATA at the next hop, which has not answered yet
    await waitFor(() => sink!.held() === 20, 30_000, () => `20 held replies (have ${sink!.held()})`);
    first.proc.kill('SIGTERM');
    const stop = await first.event((e) => e['event'] === 'stop');
    expect(stop['deliveries']).toBe(20);
    expect(stop['timeout']).toBe(600_000);
    // it stopped accepting and is still waiting for the next hop
    await waitFor(refused, 15_000, 'the listening socket to close');
    expect(first.events.some((e) => e['event'] === 'close')).toBe(false);
    sink.release();
    expect(await first.exited).toBe(0);
    const after = first.events.slice(first.events.indexOf(stop));
    expect(after.filter((e) => e['event'] === 'deliver')).toHaveLength(20);
    expect(after.at(-1)).toMatchObject({ event: 'close' });
    expect(after.at(-1)?.['mayRepeat']).toBeUndefined();

    const second = relay(spool);
    const listen = await second.event((e) => e['event'] === 'listen');
    // nothing left in the spool to send again
    expect(listen['pending']).toBe(0);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(ids.map((id) => sink!.count(id))).toEqual(ids.map(() => 1));
    await sink.close();
    sink = undefined;
  }, 120_000);

  it('a second SIGTERM stops at once; the log says how many may repeat, and exactly those are sent again', async () => {
    sink = await startCountingSink({ port: hopPort, hold: true });
    const spool = join(org.dir, 'spool-forced');
    port = await freePort();
    const first = relay(spool);
    await first.event((e) => e['event'] === 'listen');
    const ids = await send('forced', 10);
    await waitFor(() => sink!.held() === 10, 30_000, () => `10 held replies (have ${sink!.held()})`);
    first.proc.kill('SIGTERM');
    await first.event((e) => e['event'] === 'stop');
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const close = first.events.at(-1)!;
    expect(close).toMatchObject({ event: 'close', forced: true, mayRepeat: 10 });
    expect(first.events.filter((e) => e['event'] === 'deliver')).toEqual([]);
    // the next hop had each once, unanswered
    expect(ids.map((id) => sink!.count(id))).toEqual(ids.map(() => 1));
    await sink.close();

    // the next hop answers now; the restarted relay sends the 10 again: the duplicate window
    sink = await startCountingSink({ port: hopPort });
    const second = relay(spool);
    const listen = await second.event((e) => e['event'] === 'listen');
    expect(listen['pending']).toBe(10);
    await waitFor(() => ids.every((id) => sink!.count(id) === 1), 30_000, 'the repeated deliveries');
    await second.event((e) => e['event'] === 'deliver' && second.events.filter((x) => x['event'] === 'deliver').length === 10);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // so in all the next hop received each twice: 10 duplicates, as the close line said
    expect(sink.transactions).toHaveLength(10);
    await sink.close();
    sink = undefined;
  }, 120_000);
});

describe('the stop timeout (RFC 5321 section 4.5.3.2.6 by default)', () => {
  it('ends the wait when it passes, with the duplicate window in the close line', async () => {
    const hold = await startCountingSink({ hold: true });
    const p = await freePort();
    const o = makeOrg(gatewayYaml('relay stop timeout', p, hold.port));
    const gw = await startSystem(o, 'gw', { stopTimeout: 300 });
    try {
      for (let i = 0; i < 3; i++) expect((await sendOnce(p, 'sender@outside.test', [`t${i}@any.test`], message(`timeout ${i}`))).ok).toBe(true);
      await waitFor(() => hold.held() === 3, 30_000, '3 held replies');
      await gw.close();
      expect(gw.events.find((e) => e.event === 'stop')).toMatchObject({ deliveries: 3, timeout: 300 });
      expect(gw.events.at(-1)).toMatchObject({ event: 'close', forced: true, mayRepeat: 3 });
    } finally {
      await hold.close();
      o.cleanup();
    }
  }, 60_000);
});
