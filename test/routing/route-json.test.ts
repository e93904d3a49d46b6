import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { routeJson } from '../../src/cli/commands/route-json.js';
import { routeText } from '../../src/cli/commands/route-text.js';
import { loadRoutesDir } from '../../src/cli/routes-dir.js';
import { loadModel } from '../../src/pipeline.js';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { Simulator } from '../../src/route/simulate.js';
import { repoRoot } from '../support/fixtures.js';
import { run } from './cli-io.js';

const tmp = mkdtempSync(join(tmpdir(), 'chainmail-route-json-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `route FILE --json ADDRESS...` in-process against JSON.stringify() of the simulator's routes. */
async function same(file: string, addresses: readonly string[]): Promise<string> {
  const loaded = loadModel(file);
  if (!loaded.model) throw new Error(`${file} did not load`);
  const sim = new Simulator(compileRoutingTables(loaded.model));
  const expected = `${JSON.stringify({ version: 1, routes: addresses.map((a) => routeJson(sim.route(a))) }, null, 2)}\n`;
  const r = await run(['route', file, '--json', ...addresses]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(expected);
  return r.stdout;
}

describe('route --json for many recipients (one rendering per class)', () => {
  const method1 = join(repoRoot, 'examples/method1/chainmail.yaml');

  it('prints each recipient of a class with its own values, escaped as JSON.stringify() escapes them', async () => {
    // two of each class, so the second comes from the class's template; what JSON escapes
    // (the first two of the class are plain: the template is checked on the second, then filled)
    const out = await same(method1, ['carol@example.com', 'dave@example.com', 'robert@example.com', 'bob@example.local', 'nobody@example.com', 'nobody2@example.com', 'x"y@example.com', 'a\\b@example.com', 'c\u0007d@example.com', 'e\ud800f@example.com']);
    expect(out).toContain('"recipient": "x\\"y@example.com"');
    expect(out).toContain('"recipient": "e\\ud800f@example.com"');
  });

  it('prints a class whose names hold a placeholder\'s printed form whole, not through a template', async () => {
    // a policy and a connector whose names, printed as JSON, contain what a placeholder
    // prints as (\u0001R\u0001 after a backslash): the template would cut them there
    const text = readFileSync(method1, 'utf8').replace('name: To UNIX', String.raw`name: 'To \u0001R\u0001 UNIX \u0001M\u0001'`).replace('name: UNIX domains', String.raw`name: 'UNIX \u0001C\u0001'`);
    expect(text).toContain(String.raw`\u0001R\u0001`);
    const file = join(tmp, 'placeholders.yaml');
    writeFileSync(file, text);
    const out = await same(file, ['carol@example.com', 'dave@example.com', 'nobody@example.com', 'nobody2@example.com']);
    expect(out).toContain(String.raw`connector \"To \\u0001R\\u0001 UNIX \\u0001M\\u0001\"`);
  });

  it('prints a class whose text holds a placeholder itself whole (a routes.json is input: --routes DIR)', async () => {
    const dir = join(tmp, 'build');
    expect((await run(['build', method1, '--out', dir])).code).toBe(0);
    const file = join(dir, 'exchange/routes.json');
    // U+0001 R U+0001: what the route's text and JSON are rendered with for the recipient
    writeFileSync(file, readFileSync(file, 'utf8').replace('"To UNIX"', '"To \\u0001R\\u0001 UNIX"'));
    const tables = loadRoutesDir(dir, { stdout: () => undefined, stderr: (t) => void expect.fail(t), cwd: repoRoot, env: {}, isTTY: false }, 'test');
    if (typeof tables === 'number') throw new Error('the build did not load');
    const sim = new Simulator(tables);
    const list = ['carol@example.com', 'dave@example.com', 'carol@example.com'];
    const json = await run(['route', '--routes', dir, '--json', ...list]);
    expect(json.stdout).toBe(`${JSON.stringify({ version: 1, routes: list.map((a) => routeJson(sim.route(a))) }, null, 2)}\n`);
    expect(json.stdout).toContain('connector \\"To \\u0001R\\u0001 UNIX\\"');
    const text = await run(['route', '--routes', dir, ...list]);
    expect(text.stdout).toBe(list.map((a) => routeText(sim.route(a))).join(''));
    expect(text.stdout).toContain('connector "To \u0001R\u0001 UNIX"');
  });

  it('prints an empty list as the empty document', async () => {
    const list = join(tmp, 'none.txt');
    writeFileSync(list, '# none\n');
    const r = await run(['route', method1, '--json', '--recipients', list]);
    expect(r.stdout).toBe('{\n  "version": 1,\n  "routes": []\n}\n');
  });
});
