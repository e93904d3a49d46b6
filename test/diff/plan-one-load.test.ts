import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli, repoRoot } from './support.js';

/*
 * `plan --base REF --out DIR` (the pull request's check, issue 19): FILE is loaded once, for
 * the route diff, and that load is what the build preview lints and compiles. It was loaded
 * a second time for the build (at 100,000 recipients, a YAML parse and a model of about a
 * second). The loader is counted by file name; the plan must be what it was (the goldens
 * of test/diff/plan-golden.test.ts and plan-cli.test.ts hold its text).
 */

const loads: string[] = [];
vi.mock('../../src/pipeline.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/pipeline.js')>();
  return {
    ...real,
    loadModel: (file: string, ...rest: Parameters<typeof real.loadModel> extends [string, ...infer R] ? R : never) => {
      loads.push(basename(file));
      return real.loadModel(file, ...rest);
    },
  };
});

const dir = join(repoRoot, 'testdata/diff/002-mailbox-removed');

describe('plan --base --out loads FILE once', () => {
  let out = '';
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'chainmail-plan-one-load-'));
    expect((await cli(['build', 'base.yaml', '--out', out], dir)).code).toBe(0);
  });
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('the base and the head once each, and the build preview is of that head', async () => {
    loads.length = 0;
    const r = await cli(['plan', 'head.yaml', '--base', 'base.yaml', '--out', out, '--format', 'json', '--detailed-exitcode'], dir);
    expect(r.code, r.stderr).toBe(3);
    expect([...loads].sort()).toEqual(['base.yaml', 'head.yaml']);
    const plan = JSON.parse(r.stdout) as { changes: { path: string }[]; routes: { changes: unknown[] } };
    // the removed mailbox shows in both halves: the routes and the artifacts of the same load
    expect(plan.routes.changes.length).toBeGreaterThan(0);
    expect(plan.changes.map((c) => c.path)).toContain('unix/postfix/relay_recipients');
  });

  it('without --base, plan --out loads FILE once as before', async () => {
    loads.length = 0;
    const r = await cli(['plan', 'head.yaml', '--out', out], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(loads).toEqual(['head.yaml']);
  });
});
