import { MessageBody } from './body.js';
import type { DsnRecipient } from './dsn.js';
import type { RelayLog } from './log.js';
import { dsnFor, type Outcome, type Queued } from './outcome.js';
import type { Spool, SpoolEntry } from './spool/spool.js';

/** What recording needs of the queue's dependencies. */
export interface RecordDeps {
  readonly spool: Spool;
  readonly log: RelayLog;
  readonly hostname: string;
}

/**
 * Writes what can be recorded of `q`'s outcomes (throws when the spool cannot): delivered
 * recipients at once, failed ones with the message's one DSN once `q` is final (nothing
 * left to retry); logs them after the write. Returns the DSN written, for the queue to
 * deliver.
 */
export async function recordOutcomes(d: RecordDeps, q: Queued, readBody: () => Promise<MessageBody>): Promise<{ entry: SpoolEntry; body: MessageBody } | undefined> {
  const { meta } = q.entry;
  const done: number[] = [];
  const failed: { i: number; dsn: DsnRecipient }[] = [];
  for (const [i, o] of q.unrecorded) {
    if (o.kind === 'done') done.push(i);
    else if (o.kind === 'failed' && q.final) failed.push({ i, dsn: o.dsn });
  }
  if (done.length === 0 && failed.length === 0) return undefined;
  const bounceable = meta.from !== '' && !meta.dsn;
  if (failed.length > 0 && bounceable && !q.dsn) {
    // built once: a retried write sends the same DSN, never a second one
    const body = await readBody().catch(() => new MessageBody([]));
    q.dsn = dsnFor(d.hostname, meta, failed.map((f) => f.dsn), body);
  }
  const dsn = failed.length > 0 && bounceable ? q.dsn : undefined;
  const dsnEntry = await d.spool.markDone(q.entry, [...done, ...failed.map((f) => f.i)], dsn);
  // logged after the spool write: a "deliver" line means it will not be delivered again
  for (const i of done) {
    q.exposed.delete(i);
    d.log((q.unrecorded.get(i) as Extract<Outcome, { kind: 'done' }>).event);
    q.unrecorded.delete(i);
  }
  for (const f of failed) {
    q.unrecorded.delete(f.i);
    d.log({
      event: 'bounce',
      id: meta.id,
      to: meta.rcpt[f.i],
      status: f.dsn.status,
      diagnostic: f.dsn.diagnostic,
      ...(f.dsn.remoteMta ? { remote: f.dsn.remoteMta } : {}),
      // never a DSN about a DSN or to the null sender (RFC 3464 section 2; RFC 5321 section 4.5.5)
      dsn: dsn ? dsn.meta.id : 'none (null sender)',
    });
  }
  return dsn && dsnEntry ? { entry: dsnEntry, body: dsn.body } : undefined;
}
