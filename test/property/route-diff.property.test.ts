import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compileRoutingTables } from '../../src/routing/compile.js';
import type { RoutingTable } from '../../src/routing/table.js';
import { diffRoutingTables, probeList, probesFor, view, type RouteView } from '../../src/route/route-diff.js';
import { Simulator } from '../../src/route/simulate.js';
import { orgConfig, OrgFiles, orgSpec, SECONDARIES, TARGETS, USERS, type OrgSpec } from './org-arbitrary.js';

/**
 * `plan --base`'s route diff (src/route/route-diff.ts: two route memos, two classes'
 * routes compared once, then only mailboxes) against walk(): for two random organisations
 * over the same domains and addresses, every (address, entry point) whose route the diff
 * reports changed is one whose walk() views differ, with those views, and every other has
 * equal views.
 */
const RUNS = Number(process.env['CHAINMAIL_PROPERTY_RUNS'] ?? 60);
const files = new OrgFiles();
afterAll(() => files.remove());

function tablesOf(spec: Parameters<typeof orgConfig>[0]): ReadonlyMap<string, RoutingTable> {
  const loaded = files.load(orgConfig(spec));
  if (!loaded.model) throw new Error(`generated file did not load:\n${loaded.text}`);
  return compileRoutingTables(loaded.model);
}

describe('route diff', () => {
  it('reports exactly the (address, entry point) pairs whose walk() routes differ, with their views', () => {
    fc.assert(
      fc.property(fc.oneof(orgSpec(), orgSpec({ tame: true })), fc.oneof(orgSpec(), orgSpec({ tame: true })), fc.boolean(), (x, y, again) => {
        const base = tablesOf(x);
        // the head: another organisation, or the same one compiled again (no change at all)
        const head = tablesOf(again ? x : y);
        expectWalkDiff(base, head);
      }),
      { numRuns: RUNS },
    );
  });

  it('the same where only recipients change (mailboxes, aliases, contacts; the tables alike otherwise)', () => {
    // an organisation and the same one with other mailboxes, aliases and contacts: where the
    // tables differ only in recipient entries, only those addresses (and the contacts that
    // rewrite to them) are routed; the property holds either way
    const pair = orgSpec({ tame: true }).chain((x) =>
      fc
        .record({
          mailboxes: fc.array(fc.subarray([...USERS]), { minLength: x.n, maxLength: x.n }),
          aliases: fc.array(fc.subarray(['al1@a.example', 'al1@b.example']), { minLength: x.n, maxLength: x.n }),
          keep: fc.array(fc.boolean(), { minLength: x.n, maxLength: x.n }),
          contacts: fc.array(fc.record({ system: fc.integer({ min: 0, max: x.n - 1 }), target: fc.constantFrom(...TARGETS), proxies: fc.subarray([...SECONDARIES], { minLength: 1 }) }), { maxLength: 3 }),
        })
        .map((m): [OrgSpec, OrgSpec] => [
          x,
          {
            ...x,
            systems: x.systems.map((s, i) => (m.keep[i] ? s : { ...s, mailboxes: m.mailboxes[i] ?? [], aliases: m.aliases[i] ?? [] })),
            contacts: m.keep[0] ? x.contacts : m.contacts,
          },
        ]),
    );
    fc.assert(
      fc.property(pair, ([x, y]) => {
        const base = tablesOf(x);
        const head = tablesOf(y);
        expectWalkDiff(base, head);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('reports a contact whose own entry is the same but whose target now routes elsewhere', () => {
    const org = (mailboxes: string[]): Record<string, unknown> => ({
      version: 1,
      domains: { 'example.com': {}, 'partner.example': { remote: true } },
      systems: { exchange: { kind: 'exchange', host: 'mail.example.com', gateway: true, mailboxes } },
      policies: [{ name: 'P', system: 'exchange', addresses: [{ space: '@example.com', authoritative: true }] }],
      contacts: [{ cn: 'Old address', system: 'exchange', mailNickname: 'old', targetAddress: 'u@example.com', proxyAddresses: ['smtp:old@example.com'] }],
    });
    const base = compileRoutingTables(files.load(org(['a@example.com', 'u@example.com'])).model as never);
    const head = compileRoutingTables(files.load(org(['a@example.com'])).model as never);
    const diff = diffRoutingTables(base, head, probesFor([], [base, head]));
    expect(diff.changes.map((c) => [c.recipient, c.after.outcome.kind]).sort()).toEqual([
      ['old@example.com', 'refused'],
      ['u@example.com', 'refused'],
    ]);
  });

  it('reports an alias that moved to another mailbox of the same system (the classes alike, the mailboxes not)', () => {
    const org = (aliased: number): Record<string, unknown> => ({
      version: 1,
      domains: { 'example.com': {} },
      systems: {
        exchange: {
          kind: 'exchange',
          host: 'mail.example.com',
          gateway: true,
          mailboxes: ['u1@example.com', 'u2@example.com'].map((m, i) => (i === aliased ? { address: m, aliases: ['al@example.com'] } : m)),
        },
      },
      policies: [{ name: 'P', system: 'exchange', addresses: [{ space: '@example.com', authoritative: true }] }],
    });
    const base = compileRoutingTables(files.load(org(0)).model as never);
    const head = compileRoutingTables(files.load(org(1)).model as never);
    const diff = diffRoutingTables(base, head, probesFor([], [base, head]));
    expect(diff.changes.map((c) => [c.kind, c.recipient, c.from.join(','), c.before.outcome.mailbox, c.after.outcome.mailbox])).toEqual([['delivery-moved', 'al@example.com', 'internet,exchange', 'u1@example.com', 'u2@example.com']]);
  });
});

/** The diff's (address, entry point) pairs and views are exactly those whose walk() views differ. */
function expectWalkDiff(base: ReadonlyMap<string, RoutingTable>, head: ReadonlyMap<string, RoutingTable>): void {
  const probes = probesFor([], [base, head]);
  const diff = diffRoutingTables(base, head, probes);
  // the recipients only one version knows, counted from every key of both
  const knownKeys = (tables: ReadonlyMap<string, RoutingTable>): Set<string> => new Set([...tables.values()].flatMap((t) => [...Object.keys(t.recipients), ...t.knownRecipients]));
  const [kb, kh] = [knownKeys(base), knownKeys(head)];
  expect(diff.recipients).toEqual({ added: [...kh].filter((k) => !kb.has(k)).length, removed: [...kb].filter((k) => !kh.has(k)).length });
  // the probes put in order only as far as they are routed (routeDiff()): the same diff
  const list = probeList([], [base, head]);
  expect(diffRoutingTables(base, head, list)).toEqual(diff);
  expect(list.size).toBe(probes.length);
  expect(list.all()).toEqual(probes);
  // among() is all() filtered, for any set of addresses (some not probes at all)
  const some = new Set([...probes.filter((_, i) => i % 3 === 0).map((p) => p.address), 'not-a-probe@example.com', probes.at(-1)?.address ?? '']);
  expect(list.among(some)).toEqual(probes.filter((p) => some.has(p.address)));
  const reported = new Map<string, { before: RouteView; after: RouteView }>();
  for (const c of diff.changes) for (const f of c.from) reported.set(`${c.recipient} from ${f}`, { before: c.before, after: c.after });
  const expected = walkDiff(base, head, probes.map((p) => p.address), diff.probed.from);
  expect([...reported.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [k, v] of expected) expect(norm2(reported.get(k)), k).toEqual(norm2(v));
}

/** The (address, entry point) pairs whose walk() views differ, with the views. */
function walkDiff(base: ReadonlyMap<string, RoutingTable>, head: ReadonlyMap<string, RoutingTable>, addresses: readonly string[], from: readonly string[]): Map<string, { before: RouteView; after: RouteView }> {
  const b = new Simulator(base);
  const a = new Simulator(head);
  const out = new Map<string, { before: RouteView; after: RouteView }>();
  for (const address of addresses) {
    for (const f of from) {
      const before = view(b.route(address, f, { detectCycles: true }));
      const after = view(a.route(address, f, { detectCycles: true }));
      if (JSON.stringify(norm(before)) !== JSON.stringify(norm(after))) out.set(`${address} from ${f}`, { before, after });
    }
  }
  return out;
}

/** A view with its outcome's fields in one order and the ones sameView() reads as '' when absent. */
function norm(v: RouteView): unknown {
  const o = v.outcome;
  return { outcome: [o.kind, o.system ?? '', o.status ?? '', o.code ?? '', o.host ?? '', o.mailbox ?? ''], path: v.path, nextHops: v.nextHops, cycle: v.cycle ?? [] };
}
function norm2(x: { before: RouteView; after: RouteView } | undefined): unknown {
  return x && { before: norm(x.before), after: norm(x.after) };
}
