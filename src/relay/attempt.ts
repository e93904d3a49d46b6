import type { MessageBody } from './body.js';
import type { NextHops, RecipientResult } from './next-hop.js';
import { orig, type Outcome, type Queued } from './outcome.js';
import type { RecipientRoute } from './route.js';
import type { Maildirs } from './spool/maildir.js';
import type { RelayEvent } from './types.js';

/** What one delivery attempt needs: where mailboxes are, and the next hops. */
export interface AttemptDeps {
  readonly maildirs: Maildirs;
  readonly hops: NextHops;
}

/**
 * One delivery attempt of the recipients in `routes` (routed already): local mailboxes get
 * one copy per mailbox however many recipients lead to it; each next hop one attempt with
 * all its recipients (next-hop.ts splits it into transactions). What happened to each
 * recipient goes into `outcomes`.
 */
export async function attempt(d: AttemptDeps, q: Queued, routes: ReadonlyMap<number, RecipientRoute>, body: MessageBody, outcomes: Map<number, Outcome>): Promise<void> {
  const byMailbox = new Map<string, number[]>();
  const byHop = new Map<string, { route: Extract<RecipientRoute, { kind: 'forward' | 'mx' }>; indexes: number[] }>();
  for (const [i, r] of routes) {
    if (r.kind === 'deliver') {
      const list = byMailbox.get(r.mailbox);
      if (list) list.push(i);
      else byMailbox.set(r.mailbox, [i]);
    } else if (r.kind === 'forward' || r.kind === 'mx') {
      const g = byHop.get(r.display);
      if (g) g.indexes.push(i);
      else byHop.set(r.display, { route: r, indexes: [i] });
    } else {
      const meta = q.entry.meta;
      outcomes.set(i, { kind: 'failed', dsn: { final: r.address, ...orig(meta.rcpt[i]!, r.address), status: r.status, diagnostic: `${r.code} ${r.status} ${r.reason}` } });
    }
  }
  const jobs: Promise<void>[] = [];
  for (const [mailbox, indexes] of byMailbox) jobs.push(toMailbox(d, q, mailbox, indexes, body, outcomes));
  for (const { route, indexes } of byHop.values()) jobs.push(toHop(d, q, route, indexes, routes, body, outcomes));
  await Promise.all(jobs);
}

async function toMailbox(d: AttemptDeps, q: Queued, mailbox: string, indexes: number[], body: MessageBody, outcomes: Map<number, Outcome>): Promise<void> {
  const { meta } = q.entry;
  try {
    const name = d.maildirs.fileName(meta.id, indexes[0]!, meta.arrival);
    // RFC 5321 section 4.4: the final delivery adds Return-Path with the envelope sender
    const returnPath = Buffer.from(`Return-Path: <${meta.from}>\r\n`, 'utf8');
    const how = await d.maildirs.deliver(mailbox, name, [returnPath, ...body.parts], q.recovered);
    for (const i of indexes) {
      outcomes.set(i, { kind: 'done', event: { event: 'deliver', id: meta.id, to: meta.rcpt[i], mailbox, file: name, status: '2.0.0', ...(how === 'duplicate' ? { duplicate: true } : {}) } });
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    for (const i of indexes) outcomes.set(i, { kind: 'deferred', status: '4.3.0', diagnostic: `mailbox ${mailbox}: ${err.code ?? err.message}` });
  }
}

async function toHop(
  d: AttemptDeps,
  q: Queued,
  route: Extract<RecipientRoute, { kind: 'forward' | 'mx' }>,
  indexes: number[],
  routes: ReadonlyMap<number, RecipientRoute>,
  body: MessageBody,
  outcomes: Map<number, Outcome>,
): Promise<void> {
  const { meta } = q.entry;
  const wire = indexes.map((i) => routes.get(i)!.address);
  const to = [...new Set(wire)];
  // eslint-disable-next-line no-control-regex
  const utf8 = meta.utf8 || to.some((a) => /[^\x00-\x7f]/.test(a)) || /[^\x00-\x7f]/.test(meta.from);
  // from here until the spool records the outcome, a stop or a crash may send these again
  for (const i of indexes) q.exposed.add(i);
  const res = await d.hops.send(route.hosts, { from: meta.from, to, utf8, body8: meta.body8 }, body);
  const byAddress = new Map<string, RecipientResult>();
  to.forEach((a, k) => byAddress.set(a, res.results[k]!));
  indexes.forEach((i, k) => {
    const r = byAddress.get(wire[k]!)!;
    const remote = res.remote ? { remote: res.remote } : {};
    if (!r.ok && !r.rfc1047) q.exposed.delete(i);
    if (r.ok) {
      const event: RelayEvent = { event: 'deliver', id: meta.id, to: meta.rcpt[i], ...(wire[k] !== meta.rcpt[i] ? { via: wire[k] } : {}), relay: route.display, ...remote, status: r.status, response: r.diagnostic };
      outcomes.set(i, { kind: 'done', event });
    } else if (r.temporary) {
      outcomes.set(i, { kind: 'deferred', status: r.status, diagnostic: r.diagnostic, ...remote, ...(r.rfc1047 ? { rfc1047: true as const } : {}) });
    } else {
      outcomes.set(i, { kind: 'failed', dsn: { final: wire[k]!, ...orig(meta.rcpt[i]!, wire[k]!), status: r.status, diagnostic: r.diagnostic, ...(res.remote ? { remoteMta: res.remote } : {}) } });
    }
  });
}
