import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Model } from '../../src/model/model.js';
import { loadModel } from '../../src/pipeline.js';
import { Simulator } from '../../src/route/simulate.js';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { EntryPoints } from '../../src/routing/entry.js';
import { tableIndex, type RoutingTable } from '../../src/routing/table.js';
import { repoRoot } from '../support/fixtures.js';

/**
 * Issue 13, "users of every system can mail each other": in the seed's method 1 and
 * method 2 and the three-system IDN chain, mail from every system of the organisation
 * (submitted there) to every recipient that a system hosts, in a domain the sending system
 * accepts, ends delivered at the hosting system (or leaves through a contact's
 * targetAddress); and so does mail from the internet where a gateway accepts the domain.
 * examples/forests too: its forest B is an authoritative Exchange organisation, which
 * reaches forest A's users through the mail contacts generated for forest A's routing
 * domain (src/routing/routing-contacts.ts).
 */
function open(file: string): { model: Model; tables: Map<string, RoutingTable> } {
  const loaded = loadModel(file, { cwd: repoRoot });
  if (!loaded.model) throw new Error(`${file}: no model`);
  return { model: loaded.model, tables: compileRoutingTables(loaded.model) };
}

/** Every hosted recipient: key -> the system that delivers it, or `contact` for a contact's address. */
function hosted(tables: ReadonlyMap<string, RoutingTable>): Map<string, { system: string; contact: boolean }> {
  const out = new Map<string, { system: string; contact: boolean }>();
  for (const t of tables.values()) {
    for (const [key, e] of tableIndex(t).recipients) {
      const cur = out.get(key);
      if (!cur || (cur.contact && e.action === 'deliver')) out.set(key, { system: t.system, contact: e.action === 'rewrite' });
    }
  }
  return out;
}

describe.each(['examples/method1/chainmail.yaml', 'examples/method2/chainmail.yaml', 'examples/idn-chain/chainmail.yaml', 'examples/forests/chainmail.yaml'])('the reverse path in %s', (file) => {
  const { tables } = open(file);
  const sim = new Simulator(tables);
  const entries = new EntryPoints(tables);
  const recipients = [...hosted(tables)];
  const domainOf = (key: string): string => key.slice(key.lastIndexOf('@') + 1);

  it('has recipients on more than one system (the test means something)', () => {
    expect(new Set(recipients.map(([, h]) => h.system)).size).toBeGreaterThan(file.includes('method2') ? 0 : 1);
  });

  it('delivers every recipient from every system that accepts its domain, at the hosting system', () => {
    const wrong: string[] = [];
    let routed = 0;
    for (const t of tables.values()) {
      for (const [key, h] of recipients) {
        if (!tableIndex(t).domains.has(domainOf(key))) continue;
        routed++;
        const o = sim.route(key, t.system).outcome;
        const ok = h.contact ? o.kind === 'external' || (o.kind === 'delivered' && o.system !== undefined) : o.kind === 'delivered' && o.system === h.system;
        if (!ok) wrong.push(`${key} from ${t.system}: ${o.kind} ${o.system ?? o.host ?? ''} ${o.status ?? ''}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(routed).toBeGreaterThan(0);
  });

  it('delivers every recipient from the internet where a gateway accepts its domain', () => {
    const wrong: string[] = [];
    for (const [key, h] of recipients) {
      if (!entries.mx(domainOf(key)).some((g) => tableIndex(g).domains.has(domainOf(key)))) continue;
      const o = sim.route(key).outcome;
      const ok = h.contact ? o.kind === 'external' || o.kind === 'delivered' : o.kind === 'delivered' && o.system === h.system;
      if (!ok) wrong.push(`${key}: ${o.kind} ${o.system ?? o.host ?? ''} ${o.status ?? ''}`);
    }
    expect(wrong).toEqual([]);
  });

  it('still refuses an unknown recipient of an accepted domain from every system (550 5.1.1)', () => {
    for (const t of tables.values()) {
      for (const d of Object.keys(t.domains)) {
        const o = sim.route(`nobody-at-all@${d}`, t.system).outcome;
        if (o.kind === 'external') continue; // a domain hosted outside the organisation
        expect([o.kind, o.status], `nobody-at-all@${d} from ${t.system}`).toEqual([expect.stringMatching(/^(refused|bounced)$/), expect.stringMatching(/^5\.(1\.1|7\.1)$/)]);
      }
    }
  });
});

describe('two Postfix systems that each host recipients of the other', () => {
  // found by the routing property test: each table's sorted hosted keys are made from the
  // other's sorted recipients, which must not need the other's hosted keys in turn
  it('sort their hosted keys (routes.json) without a cycle, as a plain sort would', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainmail-mutual-'));
    const file = join(dir, 'chainmail.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: mutual reverse path',
        'domains:',
        '  a.example: {}',
        'systems:',
        '  one: { kind: postfix, host: "[10.0.0.1]", mailboxes: [x@a.example, z@a.example] }',
        '  two: { kind: postfix, host: "[10.0.0.2]", mailboxes: [y@a.example, w@a.example] }',
        'policies:',
        '  - { name: one, system: one, addresses: [{ space: "@a.example", authoritative: true }] }',
        '  - { name: two, system: two, addresses: [{ space: "@a.example", authoritative: true }] }',
        '',
      ].join('\n'),
    );
    const loaded = loadModel(file, { cwd: dir });
    if (!loaded.model) throw new Error('no model');
    const tables = compileRoutingTables(loaded.model);
    for (const [name, others] of [['one', ['w@a.example', 'y@a.example']], ['two', ['x@a.example', 'z@a.example']]] as const) {
      const t = tables.get(name) as RoutingTable;
      expect(tableIndex(t).sortedKeys().hosted).toEqual(others);
      expect(Object.keys(t.hosted ?? {})).toEqual(others);
    }
  });
});
