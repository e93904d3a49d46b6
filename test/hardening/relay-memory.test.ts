import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/relay/relay.js';
import { requireBuiltCli, spawnRelay, type RelayChild } from '../relay/support/child.js';
import { startCountingSink, type CountingSink } from '../relay/support/counting-sink.js';
import { freePort } from '../support/tools.js';
import { gatewayYaml, makeOrg, RawSmtp, waitFor, type Org } from './support/relay.js';

/**
 * Memory under many large messages at once (issue 20: 40 concurrent 20 MB messages once
 * peaked at 918 MB). The relay, as the CLI runs it, gets CLIENTS messages of SIZE bytes at
 * the same time, more than its DATA budget (256 MiB) holds; those beyond it get 452 4.3.1,
 * the others are spooled and forwarded. Measured by the peak resident set of the relay's
 * process (VmHWM in /proc/PID/status), never by time. The bound is the one docs/relay.md
 * gives for any machine, a busy one included (the suite must pass with both cores taken):
 * the DATA budget, the 64 MiB of bodies held for delivery, 128 MiB for the process itself
 * (about 60 MiB at start) and its allocator's slack, and the data of the refused messages,
 * read past the budget and dropped, which the collector frees late when it gets little CPU.
 * A message is held as the chunks it arrived in, never joined into a copy (session 9): with
 * the copy the peak was 489-553 MiB with CPU to spare and up to 581 MiB (640 once) on a busy
 * machine, past this bound; without it 385-395 and 364-464 MiB. Without the DATA budget
 * (issue 20: 918 MB) these 24 messages would all be held: past it too.
 */
const CLIENTS = 24;
const SIZE = 16 * 1024 * 1024;
/** docs/relay.md "Memory": the DATA budget, the delivery budget, 128 MiB for the process, and what the refused messages sent. */
const bound = (refused: number): number => DEFAULT_LIMITS.dataMemory + 64 * 1024 * 1024 + 128 * 1024 * 1024 + refused * SIZE;

const built = requireBuiltCli();
const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** The peak resident set of a process so far, in bytes (Linux). */
function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM for process ${pid}`);
  return Number(m[1]) * 1024;
}

describe.skipIf(!built || process.platform !== 'linux')('memory under concurrent large messages', () => {
  it(`${CLIENTS} messages of ${SIZE / 1048576} MiB at once stay within the documented budget`, async () => {
    const sink: CountingSink = await startCountingSink();
    cleanups.push(() => sink.close());
    const port = await freePort();
    const org: Org = makeOrg(gatewayYaml('relay memory', port, sink.port));
    cleanups.push(() => org.cleanup());
    const relay: RelayChild = spawnRelay(['--routes', org.routes('gw'), '--listen', `127.0.0.1:${port}`, '--spool', join(org.dir, 'spool'), '--hostname', 'gw.memory.test', '--greeting-delay', '0', '--max-size', String(SIZE + 4096)]);
    cleanups.push(() => void relay.proc.kill('SIGKILL'));
    await relay.event((e) => e['event'] === 'listen');
    const pid = relay.proc.pid!;
    const base = peakRss(pid);
    // one body shared by all clients (the test's own memory is not what is measured)
    const line = `${'m'.repeat(998)}\r\n`;
    const body = Buffer.from(line.repeat(Math.floor(SIZE / line.length)));
    // every client in DATA first, then all the data at once: the messages are truly concurrent
    const clients: RawSmtp[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const { client } = await RawSmtp.open(port);
      clients.push(client);
      cleanups.push(() => client.destroy());
      expect((await client.cmd('EHLO big.test')).code).toBe(250);
      expect((await client.cmd('MAIL FROM:<big@outside.test>')).code).toBe(250);
      expect((await client.cmd(`RCPT TO:<big${i}@any.test>`)).code).toBe(250);
      expect((await client.cmd('DATA')).code).toBe(354);
    }
    const results = await Promise.all(
      clients.map(async (client, i) => {
        client.write(`Message-ID: <big${i}@client.test>\r\nSubject: big ${i}\r\n\r\n`);
        client.write(body);
        client.write('.\r\n');
        // generous: a relay busy with hundreds of megabytes on a loaded machine answers late
        return (await client.reply(300_000)).code;
      }),
    );
    const accepted = results.filter((c) => c === 250).length;
    expect(results.every((c) => c === 250 || c === 452), results.join(',')).toBe(true);
    await waitFor(() => sink.transactions.length >= accepted, 300_000, () => `${accepted} messages at the next hop (have ${sink.transactions.length})`);
    const peak = peakRss(pid);
    relay.proc.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    const limit = bound(CLIENTS - accepted);
    console.log(`memory: ${CLIENTS} x ${SIZE / 1048576} MiB at once: ${accepted} accepted, ${CLIENTS - accepted} refused (452); peak RSS ${(peak / 1048576).toFixed(0)} MiB (${(base / 1048576).toFixed(0)} MiB at start), bound ${limit / 1048576} MiB`);
    expect(accepted).toBeGreaterThan(0);
    expect(peak).toBeLessThan(limit);
  }, 600_000);
});
