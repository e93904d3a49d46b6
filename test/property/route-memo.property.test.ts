import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AddressList } from '../../src/cli/commands/route-recipients.js';
import { routeJson, writeRecipientsJson } from '../../src/cli/commands/route-json.js';
import { routeText, writeRecipientsText } from '../../src/cli/commands/route-text.js';
import type { CliIo } from '../../src/cli/io.js';
import { progress } from '../../src/cli/progress.js';
import { loadModel } from '../../src/pipeline.js';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { RouteMemo } from '../../src/routing/route-memo.js';
import type { RoutingTable } from '../../src/routing/table.js';
import { Simulator } from '../../src/route/simulate.js';
import { repoRoot } from '../support/fixtures.js';
import { DOMAINS, OrgFiles, orgConfig, orgSpec } from './org-arbitrary.js';

/**
 * The route memo (src/routing/route-memo.ts, issue 19) against the plain walk: for random
 * organisations (org-arbitrary.ts: mailboxes, aliases, contacts that rewrite, chains,
 * forwardUnresolvedTo loops) and random lists of recipients in any case, with IDN domains
 * in both forms, unroutable addresses and repeats (so classes are made and then used), the
 * memoised route is exactly walk()'s from every entry point (also with cycle detection, as
 * `plan --base` walks), and `route --recipients`'s
 * templated text is exactly routeText() of walk()'s route, its --json exactly JSON.stringify() of them.
 */
const RUNS = Number(process.env['CHAINMAIL_PROPERTY_RUNS'] ?? 100);
const files = new OrgFiles();
afterAll(() => files.remove());

/** Every address the tables name, an unknown one per domain, and variants of each. */
function candidates(tables: ReadonlyMap<string, RoutingTable>, domains: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of tables.values()) {
    for (const [k, e] of Object.entries(t.recipients)) {
      out.add(k);
      if (e.action === 'rewrite') out.add(e.to);
    }
    for (const k of t.knownRecipients) out.add(k);
    for (const k of Object.keys(t.hosted ?? {})) out.add(k);
  }
  for (const d of [...domains, 'outside.example', 'bücher.example', 'xn--bcher-kva.example']) out.add(`nobody@${d}`);
  const variants = new Set<string>(['bad@@a.example', '"x@y"@a.example', 'no-at', '@a.example', 'u@[10.0.0.1]', '\u0000@a.example']);
  for (const a of out) {
    const at = a.lastIndexOf('@');
    const local = a.slice(0, at);
    const domain = a.slice(at + 1);
    variants.add(a);
    variants.add(a.toUpperCase());
    variants.add(`${local.charAt(0).toUpperCase()}${local.slice(1)}@${domain}`);
    variants.add(`${local}@${domain.toUpperCase()}.`);
    variants.add(`${local}@${domain}.`);
    variants.add(`"${local}"@${domain}`);
    // what JSON escapes: a backslash, a quote inside, a control character, a lone surrogate
    variants.add(`"${local}\\\"x"@${domain}`);
    variants.add(`${local}\u0007@${domain}`);
    variants.add(`${local}\ud800@${domain}`);
    variants.add(`${local}%elsewhere.example@${domain}`);
  }
  return [...variants].sort();
}

/** A CLI's streams capturing stdout; with `bytes`, as the real process's (stdoutBytes, UTF-8), else as strings only. */
function quietIo(out: string[], bytes: boolean): CliIo {
  const io: CliIo = { stdout: (t) => void out.push(t), stderr: () => undefined, cwd: repoRoot, env: {}, isTTY: false };
  return bytes ? { ...io, stdoutBytes: (b) => out.push(Buffer.from(b).toString('utf8')) > 0 } : io;
}

/** The memo's routes and text against walk()'s for `list` from `from`. */
function check(tables: ReadonlyMap<string, RoutingTable>, list: readonly string[], from: string, context: string): void {
  const plain = new Simulator(tables);
  const memo = new RouteMemo(tables);
  for (const a of list) expect(memo.route(a, from), `${context}\n${a} from ${from}`).toEqual(plain.route(a, from));
  // with walk()'s options (plan --base's route diff: cycle detection), exactly walk()'s route with them
  const cycles = new RouteMemo(tables, undefined, { detectCycles: true });
  for (const a of list) expect(cycles.route(a, from), `${context}\n${a} from ${from}, detectCycles`).toEqual(plain.route(a, from, { detectCycles: true }));
  for (const color of [false, true]) {
    const out: string[] = [];
    // the byte path without colour, the string path with it (both write through route-text.ts's byte buffer)
    const io = quietIo(out, !color);
    // a fresh memo: the text path makes its own classes and templates
    writeRecipientsText(new AddressList(list), new RouteMemo(tables), from, io, color, progress(io, 'test', { quiet: true }));
    // as UTF-8 on stdout (a lone surrogate has no UTF-8: U+FFFD, as process.stdout.write writes it)
    const text = list.map((a) => routeText(plain.route(a, from), color)).join('');
    expect(out.join(''), `${context}\nfrom ${from}, color ${color}`).toBe(Buffer.from(text, 'utf8').toString('utf8'));
  }
  // --json: the document JSON.stringify() prints of walk()'s routes, through both writers of the io
  for (const bytes of [true, false]) {
    const out: string[] = [];
    const io = quietIo(out, bytes);
    writeRecipientsJson(new AddressList(list), new RouteMemo(tables), from, io, progress(io, 'test', { quiet: true }));
    expect(out.join(''), `${context}\nfrom ${from}, --json`).toBe(`${JSON.stringify({ version: 1, routes: list.map((a) => routeJson(plain.route(a, from))) }, null, 2)}\n`);
  }
}

describe('route memo', () => {
  it('gives exactly what walk() gives, route and text, for random organisations and recipients', () => {
    fc.assert(
      fc.property(fc.oneof(orgSpec(), orgSpec({ tame: true })), fc.array(fc.nat(), { minLength: 1, maxLength: 120 }), (spec, picks) => {
        const loaded = files.load(orgConfig(spec));
        if (!loaded.model) throw new Error(`generated file did not load:\n${loaded.text}`);
        const tables = compileRoutingTables(loaded.model);
        const all = candidates(tables, DOMAINS);
        // picks with repeats: the first of a class makes it, the others use it
        const list = picks.map((p) => all[p % all.length] as string);
        for (const from of ['internet', ...tables.keys()]) check(tables, list, from, loaded.text);
      }),
      { numRuns: RUNS },
    );
  });

  it('gives exactly what walk() gives for every example, IDN included, twice over', () => {
    const dirs = readdirSync(join(repoRoot, 'examples')).filter((d) => existsSync(join(repoRoot, 'examples', d, 'chainmail.yaml')));
    expect(dirs).toContain('idn-chain');
    for (const d of dirs) {
      const loaded = loadModel(join(repoRoot, 'examples', d, 'chainmail.yaml'));
      if (!loaded.model) continue;
      const tables = compileRoutingTables(loaded.model);
      const domains = [...new Set([...tables.values()].flatMap((t) => Object.keys(t.domains)))];
      const all = candidates(tables, domains);
      const list = [...all, ...all.slice().reverse()];
      for (const from of ['internet', ...tables.keys()]) check(tables, list, from, d);
    }
  });
});
