import { MessageBody } from './body.js';
import { buildDsn, type DsnRecipient } from './dsn.js';
import { scanMessage } from './message.js';
import { queueId } from './queue-id.js';
import type { MessageMeta } from './spool/record.js';
import type { SpoolEntry } from './spool/spool.js';
import type { RelayEvent, RetryPolicy } from './types.js';

/** What happened to one recipient in one attempt. */
export type Outcome =
  /** `event`: the deliver line, logged once the spool has recorded the recipient as done. */
  | { kind: 'done'; event: RelayEvent }
  | { kind: 'failed'; dsn: DsnRecipient }
  | { kind: 'deferred'; status: string; diagnostic: string; remote?: string; rfc1047?: true };

/** A message in the delivery queue. */
export interface Queued {
  readonly entry: SpoolEntry;
  body: MessageBody | undefined;
  /** The body was read back from the spool for this attempt (not kept from DATA). */
  reading?: boolean;
  attempts: number;
  nextAttempt: number;
  /** In the spool at a restart: a Maildir copy may already exist. */
  readonly recovered: boolean;
  /**
   * Final outcomes (delivered, failed) the spool has not recorded yet: never attempted
   * again, whatever happens to the spool write; only the write is retried.
   */
  readonly unrecorded: Map<number, Exclude<Outcome, { kind: 'deferred' }>>;
  /** Recipients sent to a next hop whose outcome the spool does not record yet (the duplicate window). */
  readonly exposed: Set<number>;
  /** No recipient is left to retry: failed ones may be recorded, with the DSN. */
  final?: boolean;
  /** The one DSN of this message, built when it first could be written. */
  dsn?: { meta: MessageMeta; body: MessageBody };
}

/** Wait before attempt `attempts` + 1: doubling from minimal to maximal backoff, for every kind of failure. */
export function backoff(retry: RetryPolicy, attempts: number): number {
  return Math.min(retry.maxBackoff, retry.minBackoff * 2 ** Math.min(30, Math.max(0, attempts - 1)));
}

/** The Original-Recipient of a DSN block, when rewriting changed the address. */
export function orig(given: string, final: string): { original?: string } {
  return given !== final ? { original: given } : {};
}

/** The DSN about the failed `recipients` of message `meta`, as a message to spool. */
export function dsnFor(hostname: string, meta: MessageMeta, recipients: readonly DsnRecipient[], body: MessageBody): { meta: MessageMeta; body: MessageBody } {
  const now = Date.now();
  const id = queueId(now);
  const scan = scanMessage(body.parts, Number.MAX_SAFE_INTEGER);
  const built = buildDsn({
    hostname,
    queueId: meta.id,
    dsnId: id,
    arrival: new Date(meta.arrival),
    date: new Date(now),
    sender: meta.from,
    recipients,
    headers: body.slice(0, scan.headerLength),
  });
  return { meta: { v: 1, id, from: '', rcpt: [meta.from], arrival: now, received: 0, utf8: built.utf8, body8: built.utf8, dsn: true }, body: MessageBody.of(built.body) };
}
