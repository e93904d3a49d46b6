import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../../pipeline.js';
import { compileRoutingTables } from '../../../routing/compile.js';
import { resolve } from '../../../routing/resolve.js';
import { forEachMerged, tableIndex } from '../../../routing/table.js';
import { relayTransport } from './nexthop.js';
import { postfixRoutes } from './postfix-routes.js';

/**
 * postfixRoutes() gives a key the table does not list the action resolve() gave the first
 * key of its domain with the same answer (src/compile/targets/postfix/postfix-routes.ts).
 * Here unix's reverse path holds the recipients of two systems (two next hops) in one domain,
 * and three of them have sender-specified routing in their local part ("%", "!"), which
 * resolve() refuses one by one: each key's entries must be those of its own resolve().
 */
const YAML = `version: 1
name: three systems share example.com
domains:
  example.com: { description: shared }
systems:
  exa:
    kind: exchange
    host: exa.example.com
    gateway: true
    mailboxes: [alice@example.com, "x%y@example.com", "p!q@example.com", zed@example.com]
  exb:
    kind: exchange
    host: exb.example.com
    mailboxes: [bob@example.com, "u%v@example.com", anne@example.com]
  unix:
    kind: postfix
    host: "[192.168.1.10]"
    mailboxes: [carol@example.com]
policies:
  - { name: A, system: exa, addresses: [{ space: "@example.com", primary: true, authoritative: false }] }
  - { name: B, system: exb, addresses: [{ space: "@example.com", primary: true, authoritative: false }] }
  - { name: U, system: unix, addresses: [{ space: "@example.com", primary: true, authoritative: true }] }
connectors:
  - { name: A to B, system: exa, addressSpaces: [example.com], to: exb, allowRelay: true }
  - { name: B to U, system: exb, addressSpaces: [example.com], to: unix, allowRelay: true }
chains:
  - { name: shared, domains: [example.com], order: [exa, exb, unix] }
`;

describe('postfixRoutes of a reverse path with two hosting systems and sender-routed keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-postfix-routes-'));
  writeFileSync(join(dir, 'chainmail.yaml'), YAML);
  const loaded = loadModel(join(dir, 'chainmail.yaml'), { cwd: dir, root: dir });
  if (!loaded.model) throw new Error('no model');
  const unix = compileRoutingTables(loaded.model).get('unix');
  if (!unix) throw new Error('no table');
  const routes = postfixRoutes(unix, 'local:');
  const accepted = new Set(routes.relayRecipients.flatMap((g) => g.keys));
  const elsewhere = new Map(routes.transport.elsewhere.map((e) => [e.key, e.value]));
  const domainValue = new Map(routes.transport.domains.map((e) => [e.key, e.value]));

  it('has what the test is about: hosted keys of two systems, three of them sender-routed', () => {
    const hosted = tableIndex(unix).hosted;
    expect(new Set([...hosted.values()].map((h) => h.system))).toEqual(new Set(['exa', 'exb']));
    expect([...hosted.keys()].filter((k) => /[%!]/.test(k)).sort()).toEqual(['p!q@example.com', 'u%v@example.com', 'x%y@example.com']);
  });

  it('gives every key the entries of its own resolve() decision', () => {
    let keys = 0;
    forEachMerged(tableIndex(unix).sortedKeys(), (key) => {
      keys++;
      const d = resolve(unix, key, { origin: 'peer', received: 0 });
      expect(accepted.has(key), key).toBe(d.kind !== 'refuse');
      const want = d.kind === 'forward' ? relayTransport(d.nextHop) : undefined;
      const own = want !== undefined && want !== domainValue.get('example.com') ? want : undefined;
      expect(elsewhere.get(key), key).toBe(own);
    });
    expect(keys).toBe(8);
  });

  it('routes each system\'s recipients to that system and refuses the sender-routed ones', () => {
    expect(elsewhere.get('alice@example.com')).toBe('relay:[exa.example.com]:25');
    expect(elsewhere.get('zed@example.com')).toBe('relay:[exa.example.com]:25');
    expect(elsewhere.get('bob@example.com')).toBe('relay:[exb.example.com]:25');
    expect(elsewhere.get('anne@example.com')).toBe('relay:[exb.example.com]:25');
    for (const k of ['x%y@example.com', 'p!q@example.com', 'u%v@example.com']) expect(accepted.has(k), k).toBe(false);
  });
});
