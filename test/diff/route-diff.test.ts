import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { diffRoutingTables, FOREIGN_DOMAIN, probesFor, routeDiff, UNKNOWN_LOCAL, type RouteChangeKind } from '../../src/route/route-diff.js';
import { model } from './support.js';

const pair = (id: string): { base: ReturnType<typeof model>; head: ReturnType<typeof model> } => ({
  base: model(join('testdata/diff', id, 'base.yaml')),
  head: model(join('testdata/diff', id, 'head.yaml')),
});

describe('routeDiff on the corpus', () => {
  // [case, kind, recipient, entry points]: every change of the case, in report order
  it.each<[string, [RouteChangeKind, string, string[]][]]>([
    [
      '001-connector-moved',
      [
        // the Exchange gateway no longer refuses unknown recipients (InternalRelay, issue 14),
        // and submitted at exchange an unknown recipient is not validated at RCPT either
        ['now-delivered', `${UNKNOWN_LOCAL}@example.com`, ['internet', 'exchange']],
        ['delivery-moved', 'carol@example.com', ['internet', 'exchange']],
        ['delivery-moved', 'dave@example.com', ['internet', 'exchange']],
      ],
    ],
    [
      '002-mailbox-removed',
      [
        ['recipient-removed', 'dave@example.com', ['internet', 'exchange']],
        ['recipient-removed', 'dave@example.com', ['unix']],
      ],
    ],
    [
      '003-loop-introduced',
      [
        ['loop-added', `${UNKNOWN_LOCAL}@example.com`, ['internet']],
        ['loop-added', `${UNKNOWN_LOCAL}@example.com`, ['exchange']],
        ['loop-added', `${UNKNOWN_LOCAL}@example.com`, ['unix']],
        // no 'now-delivered' for exchange's mailboxes from unix: the reverse path delivers
        // them in both versions (issue 13); its per-recipient next hop [mail.example.com]
        // gives way to forwardUnresolvedTo's mail.example.com (an MX lookup)
        ['next-hop-changed', 'alice@example.com', ['unix']],
        ['next-hop-changed', 'bob@example.com', ['unix']],
        ['next-hop-changed', 'robert@example.com', ['unix']],
      ],
    ],
    [
      '004-system-moved',
      [
        ['next-hop-changed', 'carol@example.com', ['internet', 'exchange']],
        ['next-hop-changed', 'dave@example.com', ['internet', 'exchange']],
        ['next-hop-changed', `${UNKNOWN_LOCAL}@example.com`, ['internet', 'exchange']],
      ],
    ],
  ])('%s', (id, expected) => {
    const { base, head } = pair(id);
    const d = routeDiff(base, head);
    expect(d.changes.map((c) => [c.kind, c.recipient, c.from])).toEqual(expected);
  });

  it('reports nothing for the same version, whatever it holds', () => {
    for (const id of ['001-connector-moved', '003-loop-introduced', '005-mailboxes-moved']) {
      const { head } = pair(id);
      expect(routeDiff(head, head).changes).toEqual([]);
    }
  });

  it('is symmetric: swapping the versions swaps before and after', () => {
    const { base, head } = pair('002-mailbox-removed');
    const there = routeDiff(base, head);
    const back = routeDiff(head, base);
    expect(back.changes.map((c) => [c.kind, c.recipient, c.before, c.after])).toEqual(there.changes.map((c) => ['recipient-added', c.recipient, c.after, c.before]));
    expect([there.recipients, back.recipients]).toEqual([
      { added: 0, removed: 1 },
      { added: 1, removed: 0 },
    ]);
  });

  it('records the loop and its cycle in the new version', () => {
    const { base, head } = pair('003-loop-introduced');
    const c = routeDiff(base, head).changes[0];
    expect(c?.before.outcome).toMatchObject({ kind: 'bounced', system: 'unix', status: '5.1.1' });
    expect(c?.after.outcome).toMatchObject({ kind: 'looped', status: '5.4.6' });
    expect(c?.after.cycle).toEqual(['exchange', 'unix', 'exchange']);
  });

  it('compares the next hops, not only the systems passed', () => {
    const { base, head } = pair('004-system-moved');
    const c = routeDiff(base, head).changes[0];
    expect([c?.before.path, c?.after.path]).toEqual([
      ['exchange', 'unix'],
      ['exchange', 'unix'],
    ]);
    expect([c?.before.nextHops, c?.after.nextHops]).toEqual([['[192.168.1.10]:25'], ['[192.168.1.20]:25']]);
  });

  it('compares only the entry points given', () => {
    const { base, head } = pair('002-mailbox-removed');
    const d = routeDiff(base, head, { from: ['unix'] });
    expect(d.probed.from).toEqual(['unix']);
    expect(d.changes.map((c) => c.from)).toEqual([['unix']]);
  });

  it('calls onProgress once per address', () => {
    const { base, head } = pair('001-connector-moved');
    const calls: number[] = [];
    const d = routeDiff(base, head, { onProgress: (done, total) => calls.push(done / total) });
    expect(calls).toHaveLength(d.probed.addresses);
    expect(calls.at(-1)).toBe(1);
  });
});

describe('probesFor', () => {
  it('probes every known recipient of both versions, one unknown per domain, and a foreign domain', () => {
    const { base, head } = pair('002-mailbox-removed');
    const probes = probesFor([base, head], [compileRoutingTables(base), compileRoutingTables(head)]);
    expect(probes.filter((p) => !p.synthetic).map((p) => p.address)).toEqual([
      'alice@example.com',
      'bob@example.com',
      'bob@example.local',
      'carol@example.com',
      'dave@example.com',
      'robert@example.com',
    ]);
    expect(probes.filter((p) => p.synthetic).map((p) => p.address)).toEqual([
      `${UNKNOWN_LOCAL}@example.com`,
      `${UNKNOWN_LOCAL}@example.local`,
      `${UNKNOWN_LOCAL}@${FOREIGN_DOMAIN}`,
    ]);
  });

  it('never uses a known recipient as the unknown one', () => {
    const base = model('testdata/diff/001-connector-moved/base.yaml');
    const t = compileRoutingTables(base);
    const unix = t.get('unix');
    if (!unix) throw new Error('no unix table');
    const taken = `${UNKNOWN_LOCAL}@example.com`;
    const tables = new Map(t).set('unix', { ...unix, recipients: { ...unix.recipients, [taken]: { action: 'deliver', mailbox: taken } } });
    const synthetic = probesFor([base], [tables]).filter((p) => p.synthetic && p.address.endsWith('@example.com'));
    expect(synthetic.map((p) => p.address)).toEqual([`${UNKNOWN_LOCAL}-2@example.com`]);
  });

  it('finds a relay change through the foreign-domain probe', () => {
    const base = model('testdata/diff/001-connector-moved/base.yaml');
    const tables = compileRoutingTables(base);
    const exchange = tables.get('exchange');
    if (!exchange) throw new Error('no exchange table');
    // a "*" connector: mail sent from Exchange to any other domain, returned before (no send
    // connector: the Unreachable queue, 5.4.4), now goes to a smart host
    const star = { name: 'Outbound', addressSpaces: ['*'], allowRelay: false, nextHop: { hosts: [{ host: '198.51.100.7', port: 25, mx: false, display: '[198.51.100.7]' }] } };
    const head = new Map(tables).set('exchange', { ...exchange, connectors: [...exchange.connectors, star] });
    const d = diffRoutingTables(tables, head, probesFor([base], [tables]));
    const foreign = d.changes.filter((c) => c.recipient.endsWith(`@${FOREIGN_DOMAIN}`));
    expect(foreign.map((c) => [c.kind, c.from, c.before.outcome.host, c.after.outcome.host])).toEqual([['now-delivered', ['exchange'], undefined, '[198.51.100.7]:25']]);
  });
});
