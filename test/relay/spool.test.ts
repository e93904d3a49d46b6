import { MessageBody } from '../../src/relay/body.js';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callbackLog } from '../../src/relay/log.js';
import { decodeRecord, encodeRecord, type MessageMeta } from '../../src/relay/spool/record.js';
import { Spool } from '../../src/relay/spool/spool.js';
import type { RelayEvent } from '../../src/relay/types.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'chainmail-spool-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const meta = (id: string, rcpt = ['a@example.test']): MessageMeta => ({ v: 1, id, from: 's@outside.test', rcpt, arrival: 1_700_000_000_000, received: 0, utf8: false, body8: false });
const body = (s: string): Buffer => Buffer.from(`Subject: ${s}\r\n\r\nbody of ${s}\r\n`);
const msg = (s: string): MessageBody => MessageBody.of(body(s));

async function open(dir: string, tuning = { segmentSize: 64 * 1024 * 1024, compactAfter: 60_000 }): Promise<{ spool: Spool; pending: Awaited<ReturnType<typeof Spool.open>>['pending']; events: RelayEvent[] }> {
  const events: RelayEvent[] = [];
  const r = await Spool.open(dir, callbackLog((e) => events.push(e)), tuning);
  return { ...r, events };
}

const segments = (dir: string): string[] => readdirSync(join(dir, 'queue')).sort();

describe('spool records', () => {
  it('round-trips a record and detects every kind of damage', () => {
    const buf = Buffer.concat(encodeRecord('M', meta('A'), [body('a')]));
    const ok = decodeRecord(buf, 0);
    expect(ok.ok && ok.record.meta).toEqual(meta('A'));
    expect(ok.ok && buf.subarray(ok.record.bodyOffset, ok.record.bodyOffset + ok.record.bodyLength).equals(body('a'))).toBe(true);
    const flip = Buffer.from(buf);
    flip[flip.length - 3] = flip[flip.length - 3]! ^ 0x20;
    expect(decodeRecord(flip, 0)).toEqual({ ok: false, reason: 'checksum' });
    expect(decodeRecord(buf.subarray(0, buf.length - 1), 0)).toEqual({ ok: false, reason: 'truncated' });
    const magic = Buffer.from(buf);
    magic[0] = 0x58;
    expect(decodeRecord(magic, 0)).toEqual({ ok: false, reason: 'magic' });
  });
});

describe('a message in pieces (issue 20: the chunks of DATA are spooled as they came)', () => {
  it('is one record with one checksum: the same bytes as the joined message, read back whole after a restart', async () => {
    const whole = body('pieces');
    const pieces = [whole.subarray(0, 3), Buffer.alloc(0), whole.subarray(3, 4), whole.subarray(4)];
    expect(Buffer.concat(encodeRecord('M', meta('P'), pieces))).toEqual(Buffer.concat(encodeRecord('M', meta('P'), [whole])));
    const dir = tmp();
    const a = await open(dir);
    const entry = await a.spool.addMessage(meta('PIECES'), new MessageBody(pieces));
    expect(entry.bodyLength).toBe(whole.length);
    expect(await a.spool.readBody(entry)).toEqual(whole);
    await a.spool.close();
    const b = await open(dir);
    expect(b.pending.map((e) => e.meta.id)).toEqual(['PIECES']);
    expect(await b.spool.readBody(b.pending[0]!)).toEqual(whole);
    await b.spool.close();
  });
});

describe('the segment spool', () => {
  it('recovers pending messages and forgets completed ones across a restart', async () => {
    const dir = tmp();
    const a = await open(dir);
    const e1 = await a.spool.addMessage(meta('ONE'), msg('one'));
    await a.spool.addMessage(meta('TWO', ['x@example.test', 'y@example.test']), msg('two'));
    await a.spool.markDone(e1, [0]);
    expect(a.pending).toEqual([]);
    await a.spool.close();

    const b = await open(dir);
    expect(b.pending.map((p) => p.meta.id)).toEqual(['TWO']);
    expect((await b.spool.readBody(b.pending[0]!)).equals(body('two'))).toBe(true);
    await b.spool.markDone(b.pending[0]!, [1]);
    await b.spool.close();

    const c = await open(dir);
    expect(c.pending.map((p) => [p.meta.id, [...p.done]])).toEqual([['TWO', [1]]]);
    await c.spool.close();
  });

  it('group-commits concurrent appends: fewer fdatasyncs than records', async () => {
    const dir = tmp();
    const { spool } = await open(dir);
    await Promise.all(Array.from({ length: 100 }, (_, i) => spool.addMessage(meta(`M${i}`), msg(`m${i}`))));
    expect(spool.stats.records).toBe(100);
    expect(spool.stats.syncs).toBeLessThan(10);
    await spool.close();
  });

  it('quarantines a damaged record in the middle and a torn tail, keeps the rest, never fails', async () => {
    const dir = tmp();
    const a = await open(dir);
    for (const id of ['R1', 'R2', 'R3']) await a.spool.addMessage(meta(id), msg(id));
    await a.spool.close();
    const [seg] = segments(dir);
    const file = join(dir, 'queue', seg!);
    const bytes = readFileSync(file);
    // damage the body of R2, and append half a record as a crash in the middle of a write would
    const r2 = bytes.indexOf('body of R2');
    bytes[r2] = bytes[r2]! ^ 0xff;
    const torn = Buffer.concat(encodeRecord('M', meta('R4'), [body('R4')])).subarray(0, 30);
    writeFileSync(file, Buffer.concat([bytes, torn]));

    const b = await open(dir);
    expect(b.pending.map((p) => p.meta.id).sort()).toEqual(['R1', 'R3']);
    const q = b.events.filter((e) => e.event === 'quarantine');
    expect(q.map((e) => e['reason'])).toEqual(['checksum', 'truncated']);
    expect(readdirSync(join(dir, 'quarantine'))).toHaveLength(2);
    await b.spool.close();
  });

  it('removes the oldest segment once done, and compacts one that still holds a pending message', async () => {
    const dir = tmp();
    // tiny segments: each message fills one
    const { spool } = await open(dir, { segmentSize: 100, compactAfter: 0 });
    const done = await spool.addMessage(meta('DONE'), msg('done'));
    const stuck = await spool.addMessage(meta('STUCK', ['p@example.test', 'q@example.test']), msg('stuck'));
    const later = await spool.addMessage(meta('LATER'), msg('later'));
    expect(segments(dir)).toHaveLength(3);
    await spool.markDone(done, [0]);
    await spool.markDone(stuck, [0]);
    await spool.collect();
    // the first segment went; the second (STUCK, one recipient left) was copied forward and removed
    expect(segments(dir).some((s) => s.startsWith('000000000001'))).toBe(false);
    expect(segments(dir).some((s) => s.startsWith('000000000002'))).toBe(false);
    expect((await spool.readBody(stuck)).equals(body('stuck'))).toBe(true);
    await spool.markDone(later, [0]);
    await spool.close();

    const b = await open(dir, { segmentSize: 100, compactAfter: 0 });
    expect(b.pending.map((p) => [p.meta.id, [...p.done]])).toEqual([['STUCK', [0]]]);
    await b.spool.markDone(b.pending[0]!, [1]);
    await b.spool.collect(Date.now() + 10_000);
    await b.spool.close();
    expect(segments(dir)).toEqual([]);
  });

  it('refuses a spool another live process holds, takes over a stale lock', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'relay.lock'), '1\n');
    await expect(Spool.open(dir, callbackLog(() => undefined))).rejects.toThrow(/in use by process 1/);
    writeFileSync(join(dir, 'relay.lock'), '999999999\n');
    const { spool } = await open(dir);
    await spool.close();
    expect(existsSync(join(dir, 'relay.lock'))).toBe(false);
  });
});
