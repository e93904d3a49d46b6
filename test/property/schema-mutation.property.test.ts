import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { run } from '../cli/support.js';

/**
 * Random damage to valid files never crashes chainmail: whatever the schema leaves out
 * (an unknown key, a value of the wrong type, a missing or extra list item), the later
 * stages run over the rest without throwing, so no command ends with exit 2 and "please
 * report" (src/cli/main.ts). Each case is a valid example with a few mutations, written as
 * YAML and run through lint, test, route and build in-process.
 */

const EXAMPLES = ['examples/method1/chainmail.yaml', 'examples/method2/chainmail.yaml', 'examples/forests/chainmail.yaml', 'examples/idn-chain/chainmail.yaml', 'src/analyze/rules/schema/fixtures/valid/complete.yaml'];
const BASES: unknown[] = EXAMPLES.map((f) => parse(readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8')));
/** PROPERTY_RUNS=5 searches five times as long (by hand). */
const FACTOR = Number(process.env['PROPERTY_RUNS'] ?? 1);

const tmp = mkdtempSync(join(tmpdir(), 'chainmail-schema-mutation-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Node = Record<string, unknown> | unknown[];
type Mutation =
  | { readonly op: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'add-key'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly op: 'typo'; readonly at: number }
  | { readonly op: 'duplicate'; readonly at: number };

/** Values of every type the schema could get wrong, and some that later stages find nasty. */
const nasty = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 70000, '', ' ', 'x', '@', 'a\nb', '[', 'smtp:', 'SMTP:x@y', '*', '__proto__', 'exchange', 'unix', 'a@b@c', [], {}, [null], { address: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
);
/** Keys that no object of the schema has, and some that are near ones it has. */
const strayKey = fc.oneof(fc.constantFrom('gatewy', 'hots', 'adress', 'alias', 'defualt', 'toString', 'constructor', '__proto__', 'Kind'), fc.string({ minLength: 1, maxLength: 8 }));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: nasty }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('add-key' as const), at: fc.nat(), key: strayKey, value: nasty }),
  fc.record({ op: fc.constant('typo' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
);

/** Every [container, key] of a document, depth first; `version` stays, or nothing is read. */
function slots(doc: unknown): [Node, string | number][] {
  const out: [Node, string | number][] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      n.forEach((v, i) => {
        out.push([n, i]);
        walk(v);
      });
    } else if (n !== null && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (n === doc && k === 'version') continue;
        out.push([n as Record<string, unknown>, k]);
        walk(v);
      }
    }
  };
  walk(doc);
  return out;
}

function define(o: Record<string, unknown>, key: string, value: unknown): void {
  // a "__proto__" key stays a key, as the YAML parser makes it
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function apply(doc: unknown, m: Mutation): void {
  const all = slots(doc);
  if (all.length === 0) return;
  const [node, key] = all[m.at % all.length] as [Node, string | number];
  const value = (node as Record<string | number, unknown>)[key];
  if (m.op === 'replace') (node as Record<string | number, unknown>)[key] = structuredClone(m.value);
  else if (m.op === 'delete') {
    if (Array.isArray(node)) node.splice(key as number, 1);
    else delete node[key as string];
  } else if (m.op === 'duplicate') {
    if (Array.isArray(node)) node.splice(key as number, 0, structuredClone(value));
  } else if (m.op === 'typo') {
    if (!Array.isArray(node) && typeof key === 'string' && key.length > 1) {
      delete node[key];
      define(node, `${key.slice(0, -2)}${key.slice(-1)}`, value);
    }
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    define(value as Record<string, unknown>, m.key, structuredClone(m.value));
  }
}

let cases = 0;

describe('random damage to a valid file', () => {
  it('never makes a command fail with an internal error (exit 2, "please report")', { timeout: 600_000 }, async () => {
    const exits = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.nat(BASES.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (base, mutations) => {
        const doc = structuredClone(BASES[base]);
        for (const m of mutations) apply(doc, m);
        const dir = join(tmp, String(cases++));
        mkdirSync(dir);
        const file = join(dir, 'chainmail.yaml');
        writeFileSync(file, stringify(doc));
        for (const argv of [
          ['lint', file, '--format', 'json'],
          ['test', file],
          ['route', file, 'alice@example.com', 'nobody@xo.one', '--json'],
          ['build', file, '--out', join(dir, 'out')],
        ]) {
          const r = await run(argv, { cwd: dir });
          const name = `${argv[0]} ${r.code}`;
          exits.set(name, (exits.get(name) ?? 0) + 1);
          expect(r.stderr, `${argv.join(' ')}\n${stringify(doc)}`).not.toMatch(/internal error|please report/);
          expect(r.code, `${argv.join(' ')}: ${r.stderr}`).not.toBe(2);
        }
      }),
      { numRuns: 150 * FACTOR },
    );
    // not vacuous: the damage was caught (lint exit 1) in some runs and harmless in others
    expect(exits.get('lint 1') ?? 0).toBeGreaterThan(0);
    expect(exits.get('lint 0') ?? 0).toBeGreaterThan(0);
  });
});
