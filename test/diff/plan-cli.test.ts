import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, repoRoot } from './support.js';

const dir = join(repoRoot, 'testdata/diff/002-mailbox-removed');

describe('plan --base with --out: routes and artifacts in one report', () => {
  let out = '';
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'chainmail-plan-out-'));
    const r = await cli(['build', 'base.yaml', '--out', out], dir);
    expect(r.code).toBe(0);
  });
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('text: the route changes, then the artifact diff and its totals', async () => {
    const r = await cli(['plan', 'head.yaml', '--base', 'base.yaml', '--out', out, '--target', 'postfix'], dir);
    expect(r.code).toBe(0);
    const routes = r.stdout.indexOf('Routes change for 1 address');
    const artifacts = r.stdout.indexOf('--- a/unix/postfix/relay_recipients');
    expect(routes).toBeGreaterThan(0);
    expect(artifacts).toBeGreaterThan(routes);
    expect(r.stdout).toContain('-dave@example.com OK');
    expect(r.stdout).toMatch(/\nPlan: 0 to add, \d+ to change, \d+ to remove, \d+ unchanged\.\n$/);
  });

  it('markdown: one heading, a Routes and an Artifacts section', async () => {
    const r = await cli(['plan', 'head.yaml', '--base', 'base.yaml', '--out', out, '--format', 'markdown'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^### /gm)).toEqual(['### ']);
    expect(r.stdout).toMatch(/^### chainmail plan\n\n#### Routes\n[\s\S]*\n#### Artifacts\n\n- `/);
    expect(r.stdout).toContain('<details><summary><code>unix/postfix/relay_recipients</code></summary>');
  });

  it('json: the artifact changes and summary as before, plus routes', async () => {
    const r = await cli(['plan', 'head.yaml', '--base', 'base.yaml', '--out', out, '--format', 'json', '--detailed-exitcode'], dir);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['version', 'changes', 'summary', 'routes']);
    expect(doc['routes']).toMatchObject({ base: 'base.yaml', summary: { addresses: 1, 'recipient-removed': 1 }, recipients: { added: 0, removed: 1 } });
  });

  it('--detailed-exitcode: 3 when only the artifacts change', async () => {
    // the same routes, another hop limit: main.cf changes, no route does
    const head = `${out}-head.yaml`;
    writeFileSync(head, readFileSync(join(dir, 'base.yaml'), 'utf8').replace('    host: "[192.168.1.10]"\n', '    host: "[192.168.1.10]"\n    hopLimit: 40\n'));
    try {
      const r = await cli(['plan', head, '--base', join(dir, 'base.yaml'), '--out', out, '--detailed-exitcode'], dir);
      expect(r.stdout).toContain('No route changes: ');
      expect(r.stdout).toContain('+hopcount_limit = 41');
      expect(r.code).toBe(3);
    } finally {
      rmSync(head, { force: true });
    }
  });
});

describe('plan --base: bad input', () => {
  it.each([
    ['a missing base file', ['plan', 'head.yaml', '--base', 'old.yaml'], 2, /^chainmail plan: base version: old\.yaml: no such file; check the path\n$/],
    ['two files', ['plan', 'head.yaml', 'base.yaml', '--base', 'base.yaml'], 2, /^chainmail plan: name exactly one FILE\n$/],
    ['no --out and no --base', ['plan', 'head.yaml'], 2, /^chainmail plan: --out DIR is required\n$/],
  ])('%s', async (_name, args, code, stderr) => {
    const r = await cli(args, dir);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(stderr);
  });

  it('a head that does not parse: exit 1, nothing compared', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'chainmail-plan-bad-'));
    try {
      writeFileSync(join(tmp, 'head.yaml'), 'version: 1\nsystems: [\n');
      const r = await cli(['plan', 'head.yaml', '--base', join(dir, 'base.yaml')], tmp);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/has errors that prevent routing/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a base with lint errors is still compared (only the head is built)', async () => {
    // 003's head has a forwarding loop, a lint error: as a base it still routes
    const loopDir = join(repoRoot, 'testdata/diff/003-loop-introduced');
    const r = await cli(['plan', 'base.yaml', '--base', 'head.yaml'], loopDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('loop fixed (1 address)');
  });
});
