import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queueId } from '../../src/relay/queue-id.js';
import { mailboxFolder } from '../../src/relay/spool/maildir.js';
import { decodeRecord, encodeRecord, type MessageMeta } from '../../src/relay/spool/record.js';
import { fillDisk, mountTmpfs } from '../relay/support/tmpfs.js';
import { freePort } from '../support/tools.js';
import { gatewayYaml, maildir, makeOrg, message, sendOnce, startSystem, waitFor, type Org, type TestRelay } from './support/relay.js';

/**
 * Faults the relay must survive without losing or duplicating mail: a full disk under the
 * spool (a real 2 MB tmpfs when this runs as root), next hops that misbehave (421 at the
 * greeting or at MAIL, accept the data and drop the connection, answer slowly), damaged
 * files in the spool, and a crash between a Maildir delivery and its record in the spool.
 */

const RETRY = { minBackoff: 200, maxBackoff: 1000, queueLifetime: 120_000 };
const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** The gateway org of these tests, with `inner` (any.test) on `innerPort`. */
async function gatewayOrg(innerPort: number): Promise<{ org: Org; port: number }> {
  const port = await freePort();
  const org = makeOrg(gatewayYaml('relay faults', port, innerPort));
  cleanups.push(() => org.cleanup());
  return { org, port };
}

type Behaviour = 'ok' | 'greet-421' | 'mail-421' | 'drop-after-data' | 'drop-after-second-data' | 'slow';

/**
 * A next hop that misbehaves on purpose: connection i behaves as `script[i]` ('ok' after
 * the script). It records every complete message it received (`acked`: whether it said 250).
 */
function flakyHop(port: number, script: readonly Behaviour[]): Promise<{ server: Server; got: { data: string; acked: boolean; behaviour: Behaviour }[]; connections: () => number }> {
  const got: { data: string; acked: boolean; behaviour: Behaviour }[] = [];
  let n = 0;
  const server = createServer((socket: Socket) => {
    const behaviour = script[n++] ?? 'ok';
    const delay = behaviour === 'slow' ? 1200 : 0;
    const say = (text: string): void => {
      setTimeout(() => socket.writable && socket.write(text), delay);
    };
    socket.on('error', () => undefined);
    if (behaviour === 'greet-421') {
      socket.end('421 4.3.2 hop.test busy, try later\r\n');
      return;
    }
    say('220 hop.test ESMTP\r\n');
    let buf = '';
    let inData = false;
    let messages = 0;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      buf += d;
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const data = buf.slice(0, end + 2);
          buf = buf.slice(end + 5);
          inData = false;
          messages++;
          if (behaviour === 'drop-after-data' || (behaviour === 'drop-after-second-data' && messages === 2)) {
            got.push({ data, acked: false, behaviour });
            socket.destroy();
            return;
          }
          got.push({ data, acked: true, behaviour });
          say('250 2.0.0 queued\r\n');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') say('250-hop.test\r\n250-8BITMIME\r\n250 SIZE 50000000\r\n');
        else if (verb === 'MAIL') {
          if (behaviour === 'mail-421') {
            socket.end('421 4.3.2 hop.test shutting down\r\n');
            return;
          }
          say('250 2.1.0 ok\r\n');
        } else if (verb === 'RCPT') say('250 2.1.5 ok\r\n');
        else if (verb === 'DATA') {
          inData = true;
          say('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 2.0.0 bye\r\n');
          return;
        } else say('250 2.0.0 ok\r\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, got, connections: () => n })));
}

describe('next hops that misbehave', () => {
  it.each<[string, Behaviour[]]>([
    ['421 at the greeting', ['greet-421', 'greet-421']],
    ['421 at MAIL FROM', ['mail-421']],
    ['accepting the data and dropping the connection before the reply', ['drop-after-data', 'drop-after-data']],
    ['answering slowly (1.2 s per reply)', ['slow']],
    ['all of these in turn', ['greet-421', 'mail-421', 'drop-after-data', 'slow']],
  ])('%s: the message is retried until the next hop takes it; no bounce', async (_what, script) => {
    const hopPort = await freePort();
    const { org } = await gatewayOrg(hopPort);
    const hop = await flakyHop(hopPort, script);
    const gw = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, spool: join(org.dir, `spool-${script.join('-')}`), retry: RETRY });
    try {
      const subject = `flaky ${script.join(' ')}`;
      const sent = await sendOnce(gw.address().port, 'sender@outside.test', ['user@any.test'], message(subject));
      expect(sent.ok).toBe(true);
      const delivered = await waitFor(() => hop.got.find((g) => g.acked && g.data.includes(`Subject: ${subject}\r\n`)), 30_000, 'the acknowledged delivery');
      // the whole message arrived, once acknowledged
      expect(delivered.data.endsWith('hello\r\n')).toBe(true);
      expect(hop.got.filter((g) => g.acked)).toHaveLength(1);
      await gw.idle();
      const defers = gw.events.filter((e) => e.event === 'defer');
      expect(defers.length).toBeGreaterThanOrEqual(script.filter((b) => b !== 'slow').length);
      expect(defers.every((e) => String(e['status'] ?? '').startsWith('4.'))).toBe(true);
      expect(gw.events.filter((e) => e.event === 'bounce')).toEqual([]);
      expect(gw.spool.size).toBe(0);
    } finally {
      await gw.close();
      await new Promise((r) => hop.server.close(() => r(undefined)));
    }
  }, 60_000);
});

describe('a next hop that drops a reused connection after the final dot (RFC 1047)', () => {
  it('is not sent the message again at once on a fresh connection: deferred, logged as the RFC 1047 window, retried after backoff', async () => {
    const hopPort = await freePort();
    const { org } = await gatewayOrg(hopPort);
    const hop = await flakyHop(hopPort, ['drop-after-second-data']);
    const gw = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, spool: join(org.dir, 'spool-rfc1047'), retry: RETRY });
    try {
      expect((await sendOnce(gw.address().port, 'sender@outside.test', ['user@any.test'], message('first on the connection'))).ok).toBe(true);
      await waitFor(() => gw.events.some((e) => e.event === 'deliver'), 20_000, 'the first delivery');
      // the second goes on the same, pooled connection, which the next hop drops after the dot
      expect((await sendOnce(gw.address().port, 'sender@outside.test', ['user@any.test'], message('second on the connection'))).ok).toBe(true);
      const defer = await waitFor(() => gw.events.find((e) => e.event === 'defer'), 20_000, 'the defer line');
      expect(defer['window']).toBe('RFC 1047');
      expect(String(defer['diagnostic'])).toMatch(/after the end of data/);
      const second = (): typeof hop.got => hop.got.filter((g) => g.data.includes('Subject: second on the connection\r\n'));
      // at the defer line the next hop had it once (unanswered); not a second time within the same attempt
      expect(hop.connections()).toBe(1);
      expect(second().map((g) => g.acked)).toEqual([false]);
      // after the backoff, on a new connection
      await waitFor(() => second().some((g) => g.acked), 20_000, 'the retry after backoff');
      await gw.idle();
      expect(second().map((g) => g.acked)).toEqual([false, true]);
      expect(hop.connections()).toBe(2);
      expect(gw.events.filter((e) => e.event === 'bounce')).toEqual([]);
    } finally {
      await gw.close();
      await new Promise((r) => hop.server.close(() => r(undefined)));
    }
  }, 60_000);
});

/** A message record for a spool segment, as the relay writes it. */
function record(rcpt: string[], subject: string, id = queueId(Date.now())): Buffer {
  const meta: MessageMeta = { v: 1, id, from: 'sender@outside.test', rcpt, arrival: Date.now(), received: 0, utf8: false, body8: false };
  return Buffer.concat(encodeRecord('M', meta, [message(subject)]));
}

describe('damaged files in the spool', () => {
  it('are quarantined with a log line; the relay starts and delivers what is intact', async () => {
    const { org } = await gatewayOrg(await freePort());
    const spool = join(org.dir, 'spool-damaged');
    const queue = join(spool, 'queue');
    mkdirSync(queue, { recursive: true });
    const good = [record(['alice@example.test'], 'intact 1'), record(['alice@example.test'], 'intact 2')];
    const flipped = record(['alice@example.test'], 'flipped');
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] ?? 0) ^ 0xff;
    const torn = record(['alice@example.test'], 'torn');
    writeFileSync(join(queue, '000000000001.seg'), Buffer.concat([good[0]!, flipped, good[1]!, torn.subarray(0, torn.length - 10)]));
    writeFileSync(join(queue, '000000000002.seg'), Buffer.from('this is no segment at all, just text\n'.repeat(50)));
    writeFileSync(join(queue, '000000000003.seg'), Buffer.alloc(0));
    const huge = record(['alice@example.test'], 'huge length');
    huge.writeUInt32BE(0xffffffff, 12);
    writeFileSync(join(queue, '000000000004.seg'), Buffer.concat([huge, record(['alice@example.test'], 'after huge')]));
    writeFileSync(join(queue, 'README'), 'not a segment: ignored\n');
    const gw = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, spool, retry: RETRY });
    try {
      const subjects = (): string[] => maildir(spool, 'alice@example.test').map((f) => /Subject: ([^\r]+)/.exec(f.toString('latin1'))?.[1] ?? '?').sort();
      await waitFor(() => subjects().length >= 3, 10_000, 'the intact messages');
      await gw.idle();
      expect(subjects()).toEqual(['after huge', 'intact 1', 'intact 2']);
      const q = gw.events.filter((e) => e.event === 'quarantine');
      expect(q.map((e) => `${e['segment']}:${e['reason']}`)).toEqual(
        expect.arrayContaining(['000000000001.seg:checksum', '000000000001.seg:truncated', '000000000002.seg:magic', '000000000004.seg:length']),
      );
      expect(readdirSync(join(spool, 'quarantine')).length).toBe(q.length);
      // and it still accepts mail
      expect((await sendOnce(gw.address().port, 's@outside.test', ['alice@example.test'], message('after recovery'))).ok).toBe(true);
    } finally {
      await gw.close();
    }
  });

  // Regression test (fixed in readSpool: moved to quarantine/ and logged). Was: an entry of queue/ whose name
  // looks like a segment but that cannot be read as a file (a directory "000000000009.seg",
  // an unreadable file) makes readFile throw, readSpool rejects, and startRelay fails: the
  // relay does not start. Suggested fix: catch the read error per segment, log it as
  // quarantine (reason "unreadable") and move the entry aside, as for damaged records.
  it('a directory where a segment should be does not stop the relay', async () => {
    const { org } = await gatewayOrg(await freePort());
    const spool = join(org.dir, 'spool-dir-seg');
    mkdirSync(join(spool, 'queue', '000000000009.seg'), { recursive: true });
    writeFileSync(join(spool, 'queue', '000000000001.seg'), record(['alice@example.test'], 'next to a directory'));
    const gw = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, spool, retry: RETRY });
    try {
      await waitFor(() => maildir(spool, 'alice@example.test').length === 1);
      expect(gw.events.some((e) => e.event === 'quarantine')).toBe(true);
    } finally {
      await gw.close();
    }
  });

  it('a record whose queue id would leave the Maildir folder is quarantined: nothing written anywhere under its name', async () => {
    const { org } = await gatewayOrg(await freePort());
    const spool = join(org.dir, 'spool-evil-id');
    mkdirSync(join(spool, 'queue'), { recursive: true });
    writeFileSync(
      join(spool, 'queue', '000000000001.seg'),
      Buffer.concat([record(['alice@example.test'], 'evil id', '../../../../escaped'), record(['alice@example.test'], 'good id'), Buffer.concat(encodeRecord('D', { id: '../escaped-d', done: [0] }))]),
    );
    const gw = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, spool, retry: RETRY });
    try {
      await waitFor(() => maildir(spool, 'alice@example.test').length === 1, 10_000, 'the intact message');
      await gw.idle();
      expect(maildir(spool, 'alice@example.test')[0]!.toString('latin1')).toContain('Subject: good id\r\n');
      expect(gw.events.filter((e) => e.event === 'quarantine').map((e) => e['reason'])).toEqual(['queue id', 'queue id']);
      expect(gw.events.filter((e) => e.event === 'deliver')).toHaveLength(1);
    } finally {
      await gw.close();
    }
    // the whole tree: the organisation's directory (the spool, its Maildir folders and
    // quarantine included) and the four levels above the Maildir's new/ the id climbs
    const names = walk(org.dir);
    expect(names.filter((f) => f.includes('escaped')), 'a file named after the queue id').toEqual([]);
    expect(names.some((f) => f.includes(`${join('quarantine', '000000000001.seg')}.`))).toBe(true);
    const above = join(spool, 'mailboxes', 'x', 'new', '..', '..', '..', '..', '..');
    expect(readdirSync(above).filter((f) => f.includes('escaped'))).toEqual([]);
  });
});

/** Every path under `dir`, directories included. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...walk(p));
  }
  return out;
}

describe('a crash between a Maildir delivery and its record in the spool', () => {
  it('redelivers nothing twice: every message ends up exactly once in each Maildir', async () => {
    const { org } = await gatewayOrg(await freePort());
    const spool = join(org.dir, 'spool-crash');
    const first = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, spool, retry: RETRY });
    const subjects = Array.from({ length: 6 }, (_, i) => `crash ${i}`);
    const saved = join(org.dir, 'saved-queue');
    mkdirSync(saved);
    try {
      for (const [i, s] of subjects.entries()) {
        const to = i % 3 === 0 ? ['alice@example.test', 'robert@example.test'] : ['alice@example.test'];
        expect((await sendOnce(first.address().port, 's@outside.test', to, message(s))).ok).toBe(true);
      }
      await first.idle();
      // the segments as they are now: messages and their "done" records (before the idle spool is cleaned)
      for (const f of readdirSync(join(spool, 'queue'))) copyFileSync(join(spool, 'queue', f), join(saved, f));
    } finally {
      await first.close();
    }
    // the crash: every delivery reached the Maildir, none of its D records reached the disk
    for (const f of readdirSync(saved)) {
      const buf = readFileSync(join(saved, f));
      const keep: Buffer[] = [];
      for (let pos = 0; pos < buf.length; ) {
        const r = decodeRecord(buf, pos);
        if (!r.ok) throw new Error(`${f}: ${r.reason}`);
        if (r.record.type === 'M') keep.push(buf.subarray(pos, pos + r.record.length));
        pos += r.record.length;
      }
      writeFileSync(join(spool, 'queue', f), Buffer.concat(keep));
    }
    // a mail reader had seen one message (new/ -> cur/ with flags), and one delivery was cut
    // after tmp/ was written but before its rename to new/
    const alice = join(spool, 'mailboxes', mailboxFolder('alice@example.test'));
    const names = readdirSync(join(alice, 'new')).sort();
    expect(names).toHaveLength(6);
    renameSync(join(alice, 'new', names[0]!), join(alice, 'cur', `${names[0]}:2,S`));
    const cut = names[1]!;
    writeFileSync(join(alice, 'tmp', cut), readFileSync(join(alice, 'new', cut)).subarray(0, 40));
    unlinkSync(join(alice, 'new', cut));

    const second: TestRelay = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, spool, retry: RETRY });
    try {
      await waitFor(() => second.events.some((e) => e.event === 'recover'), 5000, 'the recovery');
      expect(Number(second.events.find((e) => e.event === 'recover')?.['messages'])).toBe(6);
      await second.idle();
      const count = (mailbox: string): Map<string, number> => {
        const m = new Map<string, number>();
        for (const f of maildir(spool, mailbox)) {
          const s = /Subject: (crash \d+)\r\n/.exec(f.toString('latin1'))?.[1] ?? '?';
          m.set(s, (m.get(s) ?? 0) + 1);
          // every copy is whole
          expect(f.toString('latin1').endsWith('hello\r\n')).toBe(true);
        }
        return m;
      };
      expect(Object.fromEntries(count('alice@example.test'))).toEqual(Object.fromEntries(subjects.map((s) => [s, 1])));
      expect(Object.fromEntries(count('bob@example.test'))).toEqual({ 'crash 0': 1, 'crash 3': 1 });
      expect(readdirSync(join(alice, 'tmp'))).toEqual([]);
      expect(second.spool.size).toBe(0);
    } finally {
      await second.close();
    }
  });
});

describe('a full disk under the spool', () => {
  const fs = mountTmpfs('2m');
  if (!('reason' in fs)) cleanups.push(() => fs.unmount());

  it.skipIf('reason' in fs)('answers 452 4.3.1, loses nothing it accepted, and recovers when space is back', async () => {
    if ('reason' in fs) return;
    const hopPort = await freePort();
    const { org } = await gatewayOrg(hopPort);
    const spool = join(fs.dir, 'spool');
    // maxSize 100 kB: MAIL is refused while less than 150 kB is free (Postfix queue_minfree)
    const gw = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, spool, retry: RETRY, maxSize: 100_000 });
    const port = gw.address().port;
    try {
      const big = (s: string): Buffer => message(s, `${'d'.repeat(98)}\r\n`.repeat(200));
      // accepted and delivered before the disk fills
      for (const s of ['early 1', 'early 2']) expect((await sendOnce(port, 's@outside.test', ['alice@example.test'], big(s))).ok).toBe(true);
      // accepted for a next hop that is down: they wait in the spool
      for (const s of ['waiting 1', 'waiting 2']) expect((await sendOnce(port, 's@outside.test', ['user@any.test'], big(s))).ok).toBe(true);
      await waitFor(() => maildir(spool, 'alice@example.test').length === 2);
      // fill the disk
      const filler = fillDisk(fs.dir);
      for (const s of ['full 1', 'full 2']) {
        const r = await sendOnce(port, 's@outside.test', ['alice@example.test'], big(s));
        expect(r.ok).toBe(false);
        // refused at MAIL FROM already: the message is not even sent
        expect(r.replies).toHaveLength(1);
        expect(r.replies.at(-1)?.raw).toBe('452 4.3.1 insufficient system storage, try again later');
      }
      expect(gw.events.filter((e) => e.event === 'refuse' && e['stage'] === 'MAIL' && e['status'] === '4.3.1')).toHaveLength(2);
      // space is back, and so is the next hop
      unlinkSync(filler);
      const hop = await flakyHop(hopPort, []);
      try {
        expect((await sendOnce(port, 's@outside.test', ['alice@example.test'], big('after'))).ok).toBe(true);
        await waitFor(() => hop.got.filter((g) => g.acked).length === 2, 20_000, 'the waiting messages at the next hop');
        await gw.idle();
        const subjects = maildir(spool, 'alice@example.test').map((f) => /Subject: ([^\r]+)/.exec(f.toString('latin1'))?.[1]).sort();
        expect(subjects).toEqual(['after', 'early 1', 'early 2']);
        expect(hop.got.map((g) => /Subject: ([^\r]+)/.exec(g.data)?.[1]).sort()).toEqual(['waiting 1', 'waiting 2']);
      } finally {
        await new Promise((r) => hop.server.close(() => r(undefined)));
      }
    } finally {
      await gw.close();
    }
  }, 60_000);
});
