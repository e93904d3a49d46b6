import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { postmapQuery } from '../support/postfix.js';
import { requireTool } from '../support/tools.js';
import { arbitraryFor } from './support/arbitraries.js';
import { addressKey, mapEntries } from './support/oracles.js';
import { baseConfig, build, cleanup, FIELDS, loadConfig, type Field } from './support/org.js';
import { postmapLookupAll } from './support/postmap.js';
import { roundTrip } from './support/roundtrip.js';

/**
 * Arbitrary strings in every field of the file format that reaches an artifact. Each
 * generated organisation is linted: a value that lint refuses (schema, invalid-address,
 * yaml-syntax, or any other error, since `chainmail build` writes nothing then) is counted
 * and skipped; every accepted one is built, and every artifact is read back with the
 * independent readers of support/parsers.ts and must say exactly what the YAML says
 * (support/oracles.ts): Postfix maps one key and one value per line, the LDIF the same
 * entries, the CSV the same rows, setup.ps1 the same strings and no other code, runbook.md
 * the same cells and no other markup. A sample of the Postfix maps goes through the real
 * postmap(1). The counts show that the properties are not vacuous.
 */

afterAll(cleanup);

const postmap = requireTool('postmap');
/** HARDENING_RUNS=5 runs every property five times as long (a deeper search, by hand). */
const FACTOR = Number(process.env['HARDENING_RUNS'] ?? 1);
const BASE = build(loadConfig(baseConfig()).model ?? fail()).files;

function fail(): never {
  throw new Error('the base organisation does not load');
}

interface Stats {
  runs: number;
  accepted: number;
  postfixRefused: number;
  refusedBy: Record<string, number>;
  /** Accepted runs in which the field held something other than letters, digits, dots and spaces. */
  nastyAccepted: Record<string, number>;
}

/** Maps (of accepted runs) that differ from the base organisation's, for postmap(1). */
const samples: { path: string; content: string; injected: string[] }[] = [];

function property(name: string, fields: readonly Field[], numRuns: number, minAccepted: number): void {
  it(`${name}: every accepted value reads back from every artifact`, () => {
    const stats: Stats = { runs: 0, accepted: 0, postfixRefused: 0, refusedBy: {}, nastyAccepted: {} };
    const record = Object.fromEntries(fields.map((f) => [f.name, fc.option(arbitraryFor(f.kind), { freq: 3 })]));
    fc.assert(
      fc.property(fc.record(record), (r) => {
        const values = Object.fromEntries(Object.entries(r).filter((e): e is [string, string] => e[1] !== null));
        // csvde has no escape for its ";" multi-value separator: a quoted local part with ";"
        // is a known bug (injection-csv.test.ts, skipped case); keep it out of the property
        for (const f of ['targetAddress local part', 'proxyAddress local part']) if (values[f]?.includes(';')) delete values[f];
        stats.runs++;
        const o = roundTrip(values);
        if (o.kind === 'refused') {
          for (const rule of o.rules) stats.refusedBy[rule] = (stats.refusedBy[rule] ?? 0) + 1;
          return;
        }
        stats.accepted++;
        if (o.postfixRefused) stats.postfixRefused++;
        for (const [f, v] of Object.entries(values)) if (/[^A-Za-z0-9. ]/.test(v)) stats.nastyAccepted[f] = (stats.nastyAccepted[f] ?? 0) + 1;
        if (!o.postfixRefused && samples.filter((s) => s.path.startsWith(`${name}:`)).length < 6) {
          for (const f of o.built.files) {
            if (!/\/postfix\/(relay_domains|relay_recipients|transport|virtual)$/.test(f.path)) continue;
            if (BASE.find((b) => b.path === f.path)?.content === f.content) continue;
            const injected = ['mailbox local part', 'alias local part', 'proxyAddress local part']
              .filter((k) => values[k] !== undefined)
              .map((k) => addressKey(`${values[k]}@${k === 'proxyAddress local part' ? 'xo.one' : 'example.com'}`));
            samples.push({ path: `${name}:${f.path}`, content: String(f.content), injected });
          }
        }
      }),
      { numRuns: numRuns * FACTOR },
    );
    console.log(`${name}: ${JSON.stringify(stats)}`);
    expect(stats.accepted, `${name}: too few accepted values for the property to mean anything`).toBeGreaterThanOrEqual(minAccepted);
    for (const f of fields) expect(stats.nastyAccepted[f.name] ?? 0, `accepted hostile values in ${f.name}`).toBeGreaterThan(0);
  });
}

const kind = (...kinds: string[]): Field[] => FIELDS.filter((f) => kinds.includes(f.kind));

describe('injection: arbitrary strings in every field', () => {
  property('free text', kind('text', 'ou'), 200, 60);
  property('addresses', kind('local'), 200, 60);
  property('hosts, domains and transports', kind('host', 'domain', 'transport'), 150, 30);
  property('base DN', kind('dn'), 80, 40);

  it.skipIf(!postmap)('the real postmap reads each sampled map as exactly its entries', async () => {
    expect(samples.length, 'no Postfix map was sampled').toBeGreaterThan(3);
    for (const s of samples) {
      const path = s.path.slice(s.path.indexOf(':') + 1);
      const entries = mapEntries([{ path, content: s.content }], path);
      const got = await postmapLookupAll(s.content, [...entries.keys()]);
      expect(Object.fromEntries(got), s.path).toEqual(Object.fromEntries(entries));
      for (const k of s.injected) {
        if (!entries.has(k)) continue;
        expect(await postmapQuery({ name: path.split('/').pop() ?? 'map', content: s.content }, k), `${s.path} ${k}`).toBe(entries.get(k));
      }
    }
  }, 120_000);
});
