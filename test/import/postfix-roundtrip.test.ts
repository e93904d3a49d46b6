import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { diffRoutingTables, probesFor } from '../../src/route/route-diff.js';
import { buildCases } from '../build/cases.js';
import { cli, model, repoRoot } from '../diff/support.js';
import { viewText } from '../../src/cli/commands/plan-routes.js';
import { alone, hostOf } from './roundtrip.js';

/**
 * The round trip: `chainmail import postfix` of the Postfix maps that `chainmail build`
 * wrote (the golden artifacts of testdata/compile/, each checked against the real postmap
 * and Postfix by the build tests) gives a model that routes every probed address exactly
 * as the original does at that system: the same outcome, path and next hops, from the
 * internet and from the system itself. Compared with the route diff of `plan --base`.
 */
const systems = buildCases.flatMap((c) => {
  const out = join(repoRoot, 'testdata/compile', c.id, 'out');
  return readdirSync(out)
    .filter((s) => existsSync(join(out, s, 'postfix', 'main.cf')))
    .map((s) => ({ id: c.id, input: c.input, system: s, dir: `testdata/compile/${c.id}/out/${s}/postfix` }));
});

const tmp = mkdtempSync(join(tmpdir(), 'chainmail-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('import postfix: the Postfix artifacts of build round-trip', () => {
  it('covers the Postfix systems of the corpus', () => {
    expect(systems.map((s) => `${s.id}/${s.system}`)).toEqual(expect.arrayContaining(['001-method1/unix', '003-postfix-gateway/gw', '003-postfix-gateway/unix', '006-method2-postfix-for/exchange', '007-postfix-edges/mx', '007-postfix-edges/old']));
  });

  it.each(systems)('$id: $system', async ({ id, input, system, dir }) => {
    const original = model(input);
    const file = join(tmp, `${id}-${system}.yaml`);
    const r = await cli(['import', 'postfix', dir, '--system', system, '--host', hostOf(original, system), '--out', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // lint errors never; warnings say what the maps leave open (no-authority for a domain forwarded onward)
    expect(r.stdout).toMatch(/\nlint: (no problems;|0 errors, )/);
    const imported = model(file);
    // an Exchange system built for Postfix (--postfix-for): its main.cf bounces mail for other
    // domains (default_transport = error:5.4.4, no send connector) as Exchange does; import
    // reads the maps, relayhost and hopcount_limit only, so the imported system has Postfix's
    // default route by MX: compare with the original as a Postfix system
    const before = new Map([...compileRoutingTables(original)].map(([k, t]) => [k, k === system ? { ...t, kind: 'postfix' as const } : t]));
    const after = compileRoutingTables(imported);
    const probes = probesFor([original, imported], [before, after]);
    const d = diffRoutingTables(alone(before, system), alone(after, system), probes, { from: ['internet', system] });
    const shown = d.changes.map((c) => `${c.recipient} from ${c.from.join(', ')}: ${viewText(c.before)} | ${viewText(c.after)}`);
    expect(shown).toEqual([]);
    expect(d.probed.addresses).toBeGreaterThan(3);
  });
});

describe('import postfix: the round trip comparison has teeth', () => {
  it('finds a changed next hop and a recipient the maps no longer know', async () => {
    const original = model('testdata/compile/003-postfix-gateway/chainmail.yaml');
    const dir = join(tmp, 'gw-edited');
    cpSync(join(repoRoot, 'testdata/compile/003-postfix-gateway/out/gw/postfix'), dir, { recursive: true });
    const edit = (f: string, from: string, to: string): void => writeFileSync(join(dir, f), readFileSync(join(dir, f), 'utf8').replace(from, to));
    edit('transport', 'example.com relay:[127.0.0.1]:2601', 'example.com relay:[127.0.0.1]:2609');
    edit('relay_recipients', 'carol@example.com OK\n', '');
    const file = join(tmp, 'gw-edited.yaml');
    expect((await cli(['import', 'postfix', dir, '--system', 'gw', '--host', hostOf(original, 'gw'), '--out', file])).code).toBe(0);
    const imported = model(file);
    const before = compileRoutingTables(original);
    const after = compileRoutingTables(imported);
    const d = diffRoutingTables(alone(before, 'gw'), alone(after, 'gw'), probesFor([original, imported], [before, after]), { from: ['internet'] });
    const kinds = new Map(d.changes.map((c) => [c.recipient, c.kind]));
    expect(kinds.get('carol@example.com')).toBe('recipient-removed');
    expect(kinds.get('alice@example.com')).toBe('delivery-moved');
    expect(d.changes.find((c) => c.recipient === 'alice@example.com')?.after.outcome.host).toBe('[127.0.0.1]:2609');
  });
});
