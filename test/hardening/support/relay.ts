import { connect, type Socket } from 'node:net';
import { expect } from 'vitest';
import type { RelayOptions } from '../../../src/relay/types.js';
import { gatewayYaml, maildir, makeOrg, message, startSystem, waitFor, type Org, type TestRelay } from '../../relay/support/org.js';
import { startSink } from '../../relay/support/sink.js';
import { sendOnce } from '../../relay/support/smtp-client.js';
import { freePort } from '../../support/tools.js';

export { gatewayYaml, maildir, makeOrg, message, startSystem, waitFor, type Org, type TestRelay } from '../../relay/support/org.js';
export { RawSmtp, sendOnce, type Reply } from '../../relay/support/smtp-client.js';

/**
 * One gateway relay for the hardening tests: example.test is its own (mailboxes alice and
 * bob, an alias), any.test goes on to `inner`, a capturing sink on loopback.
 */
export interface Gateway {
  readonly org: Org;
  readonly gw: TestRelay;
  readonly sink: Awaited<ReturnType<typeof startSink>>;
  /** A fresh client gets a complete transaction through and it lands in alice's Maildir. */
  stillServing(): Promise<void>;
  close(): Promise<void>;
}

export async function startGateway(extra: Partial<RelayOptions> & Record<string, unknown> = {}, sinkDelay = 0): Promise<Gateway> {
  const [pg, ps] = [await freePort(), await freePort()];
  const org = makeOrg(gatewayYaml('relay hardening', pg, ps));
  const sink = await startSink(ps, undefined, sinkDelay);
  const gw = await startSystem(org, 'gw', extra);
  let serial = 0;
  return {
    org,
    gw,
    sink,
    async stillServing() {
      const subject = `still serving ${++serial} ${Date.now()}`;
      const r = await sendOnce(gw.address().port, 'sender@outside.test', ['alice@example.test'], message(subject));
      expect(r.ok, JSON.stringify(r.replies)).toBe(true);
      await waitFor(() => maildir(gw.spoolDir, 'alice@example.test').some((f) => f.includes(`Subject: ${subject}\r\n`)), 10_000, 'the still-serving message');
    },
    async close() {
      await gw.close();
      await sink.close();
      org.cleanup();
    },
  };
}

/** A TCP connection from a chosen loopback source address (127.0.0.x is all this host). */
export function connectFrom(port: number, localAddress: string): Promise<{ socket: Socket; text: () => string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (got += d));
    socket.once('connect', () => resolve({ socket, text: () => got }));
    socket.once('error', reject);
  });
}

/** Waits until the text received on a connection matches `re`. */
export function receive(conn: { text: () => string }, re: RegExp, timeout = 5000): Promise<string> {
  return waitFor(() => (re.test(conn.text()) ? conn.text() : undefined), timeout, () => `${re} in ${JSON.stringify(conn.text())}`);
}

/** Accept events logged so far. */
export function accepts(gw: TestRelay): number {
  return gw.events.filter((e) => e.event === 'accept').length;
}
