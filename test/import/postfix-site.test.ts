import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { Simulator } from '../../src/route/simulate.js';
import { cli, model } from '../diff/support.js';

/**
 * A hand-made Postfix gateway (test/import/fixtures/site: not written by chainmail): its
 * main.cf names the maps by their paths on the running host, relay_domains mixes
 * $mydomain, a list and a table, and some lines are beyond what chainmail can express.
 */
const tmp = mkdtempSync(join(tmpdir(), 'chainmail-import-site-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const site = 'test/import/fixtures/site';

describe('import postfix: a hand-made gateway', () => {
  it('writes the golden file and lists what it leaves out, each with file and line', async () => {
    const r = await cli(['import', 'postfix', `${site}/main.cf`]);
    expect(r.code).toBe(0);
    // the modeline points at the schema relative to where the file goes: here, stdout = the repo
    expect(r.stdout.split('\n')[0]).toBe('# yaml-language-server: $schema=schemas/chainmail.schema.json');
    await expect(r.stdout).toMatchFileSnapshot('__golden__/site.yaml');
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      `chainmail import: warning: ${site}/main.cf:10: virtual_alias_maps: regexp:/etc/postfix/virtual.regexp cannot be imported (only hash, btree, lmdb, cdb, dbm, sdbm, texthash tables have a text source): left out`,
      `chainmail import: warning: ${site}/relay_domains:3: relay domain ".sub.example.com" matches subdomains, which chainmail cannot express: left out`,
      `chainmail import: warning: ${site}/virtual:3: "sales@example.com" expands to 2 addresses; chainmail gives an address one target: left out`,
      `chainmail import: warning: ${site}/virtual:5: "@catch.example.com" is a catch-all alias, which chainmail cannot express: left out`,
      `chainmail import: warning: ${site}/transport:7: spam@example.com: transport "discard:" (mail is dropped here) cannot be expressed: left out`,
    ]);
  });

  it('the directory gives the same file as its main.cf; --quiet drops the warnings', async () => {
    const a = await cli(['import', 'postfix', `${site}/main.cf`]);
    const b = await cli(['import', 'postfix', site, '--quiet']);
    expect(b.stdout).toBe(a.stdout);
    expect(b.stderr).toBe('');
  });

  it('the imported model lints without errors and routes as the gateway did', async () => {
    const file = join(tmp, 'site.yaml');
    const r = await cli(['import', 'postfix', site, '--system', 'mx1', '--host', '[192.0.2.1]', '--out', file, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${file}: 3 domains, 2 systems, 4 mailboxes, 4 connectors, 1 chain, 2 contacts\nlint: 0 errors, 1 warning; run chainmail lint ${file}\n`);
    expect(readFileSync(file, 'utf8')).toContain('  mx1:\n    kind: postfix\n    host: "[192.0.2.1]"\n    gateway: true\n    hopLimit: 39\n');
    const sim = new Simulator(compileRoutingTables(model(file)));
    const outcome = (a: string, from = 'internet'): string => {
      const o = sim.route(a, from).outcome;
      return [o.kind, o.system ?? o.host, o.status].filter(Boolean).join(' ');
    };
    expect(
      Object.fromEntries(['postmaster@example.com', 'abuse@example.com', 'alice@example.com', 'help@example.com', 'nobody@example.com', 'any@example.org', 'ext@example.com', 'x@foreign.example'].map((a) => [a, outcome(a)])),
    ).toEqual({
      'postmaster@example.com': 'delivered mx1',
      'abuse@example.com': 'delivered mx1',
      'alice@example.com': 'delivered next-hop-10.0.0.5',
      'help@example.com': 'delivered next-hop-10.0.0.5',
      'nobody@example.com': 'refused mx1 5.1.1',
      'any@example.org': 'external [10.0.0.6]:2525',
      'ext@example.com': 'external [mx.partner.example]:25',
      'x@foreign.example': 'refused mx1 5.7.1',
    });
    // mail sent from the gateway itself to any other domain takes relayhost
    expect(outcome('x@foreign.example', 'mx1')).toBe('external [smtp.provider.example]:587');
  });
});
