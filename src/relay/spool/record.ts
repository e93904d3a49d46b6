import { crc32 } from 'node:zlib';

/**
 * The records of the append-only spool (docs/relay.md "Spool format"). Every record is
 *
 *   offset size
 *   0      4    magic "CMS1"
 *   4      1    type: "M" a message, "D" recipients done (delivered or bounced)
 *   5      3    zero
 *   8      4    meta length (big-endian)
 *   12     4    body length (big-endian)
 *   16     4    CRC-32 of bytes 0-15, the meta and the body
 *   20     meta (UTF-8 JSON), then body (the message as accepted, Received: included)
 *
 * The checksum makes a torn or damaged record detectable; the magic lets recovery find
 * the next record after one that is damaged.
 */
export const MAGIC = Buffer.from('CMS1', 'latin1');
export const HEADER_SIZE = 20;
/** Upper bounds that keep a damaged length field from allocating gigabytes. */
export const MAX_META = 16 * 1024 * 1024;
export const MAX_BODY = 1024 * 1024 * 1024;

export type RecordType = 'M' | 'D';

/** What the spool knows of an accepted message. */
export interface MessageMeta {
  readonly v: 1;
  /** The queue id (logged in `accept`, written in Received:). */
  readonly id: string;
  /** Envelope sender; "" for the null sender `<>` (DSNs). */
  readonly from: string;
  /** Envelope recipients as the client gave them. */
  readonly rcpt: readonly string[];
  /** Arrival time, ms since the epoch (DSN Arrival-Date, queue lifetime). */
  readonly arrival: number;
  /** Received: headers the message carried when it arrived, before ours. */
  readonly received: number;
  /** SMTPUTF8 was requested (RFC 6531). */
  readonly utf8: boolean;
  /** BODY=8BITMIME was declared (RFC 6152). */
  readonly body8: boolean;
  /** The client's address. */
  readonly client?: string;
  /** Recipients (indexes into rcpt) already done: set in copies written by compaction. */
  readonly done?: readonly number[];
  /** A DSN this relay generated: routed as local mail, never bounced. */
  readonly dsn?: true;
}

/** A D record: these recipients of message `id` need nothing more. */
export interface DoneMeta {
  readonly id: string;
  readonly done: readonly number[];
}

/** Encodes a record as the buffers to write (header + meta, then the body's pieces as they are). */
export function encodeRecord(type: RecordType, meta: object, body: readonly Buffer[] = []): Buffer[] {
  const metaBuf = Buffer.from(JSON.stringify(meta), 'utf8');
  const parts = body.filter((b) => b.length > 0);
  let bodyLen = 0;
  for (const b of parts) bodyLen += b.length;
  const head = Buffer.allocUnsafe(HEADER_SIZE + metaBuf.length);
  MAGIC.copy(head, 0);
  head[4] = type.charCodeAt(0);
  head[5] = 0;
  head[6] = 0;
  head[7] = 0;
  head.writeUInt32BE(metaBuf.length, 8);
  head.writeUInt32BE(bodyLen, 12);
  metaBuf.copy(head, HEADER_SIZE);
  let crc = crc32(head.subarray(0, 16));
  crc = crc32(metaBuf, crc);
  for (const b of parts) crc = crc32(b, crc);
  head.writeUInt32BE(crc >>> 0, 16);
  return [head, ...parts];
}

/** A record read back from a segment. */
export interface DecodedRecord {
  readonly type: RecordType;
  readonly meta: unknown;
  /** Offset of the record in its segment. */
  readonly offset: number;
  /** Offset and length of the body in the segment. */
  readonly bodyOffset: number;
  readonly bodyLength: number;
  /** Total length of the record. */
  readonly length: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly record: DecodedRecord }
  /** Not enough bytes: a record cut short at the end of the segment. */
  | { readonly ok: false; readonly reason: 'truncated' | 'magic' | 'length' | 'checksum' | 'meta' | 'type' };

/** Decodes the record at `offset` of a segment held in `buf`. */
export function decodeRecord(buf: Buffer, offset: number): DecodeResult {
  if (buf.length - offset < HEADER_SIZE) return { ok: false, reason: 'truncated' };
  if (buf.compare(MAGIC, 0, 4, offset, offset + 4) !== 0) return { ok: false, reason: 'magic' };
  const t = String.fromCharCode(buf[offset + 4] ?? 0);
  if (t !== 'M' && t !== 'D') return { ok: false, reason: 'type' };
  const metaLen = buf.readUInt32BE(offset + 8);
  const bodyLen = buf.readUInt32BE(offset + 12);
  if (metaLen > MAX_META || bodyLen > MAX_BODY) return { ok: false, reason: 'length' };
  const end = offset + HEADER_SIZE + metaLen + bodyLen;
  if (end > buf.length) return { ok: false, reason: 'truncated' };
  let crc = crc32(buf.subarray(offset, offset + 16));
  crc = crc32(buf.subarray(offset + HEADER_SIZE, end), crc);
  if ((crc >>> 0) !== buf.readUInt32BE(offset + 16)) return { ok: false, reason: 'checksum' };
  let meta: unknown;
  try {
    meta = JSON.parse(buf.toString('utf8', offset + HEADER_SIZE, offset + HEADER_SIZE + metaLen));
  } catch {
    return { ok: false, reason: 'meta' };
  }
  return {
    ok: true,
    record: { type: t, meta, offset, bodyOffset: offset + HEADER_SIZE + metaLen, bodyLength: bodyLen, length: end - offset },
  };
}

/** Whether a decoded M record's meta has the shape we wrote. */
export function isMessageMeta(m: unknown): m is MessageMeta {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return (
    o['v'] === 1 &&
    typeof o['id'] === 'string' &&
    typeof o['from'] === 'string' &&
    Array.isArray(o['rcpt']) &&
    (o['rcpt'] as unknown[]).every((r) => typeof r === 'string') &&
    typeof o['arrival'] === 'number' &&
    typeof o['received'] === 'number'
  );
}

export function isDoneMeta(m: unknown): m is DoneMeta {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return typeof o['id'] === 'string' && Array.isArray(o['done']) && (o['done'] as unknown[]).every((n) => Number.isInteger(n));
}
