import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, diffCases, repoRoot } from './support.js';

/**
 * Golden route diffs: `chainmail plan head.yaml --base base.yaml` in each case folder of
 * testdata/diff/, as text (plan.txt) and as Markdown for a pull request comment (plan.md).
 * Accept an intended change with `npx vitest run test/diff -u` and review the golden diff.
 */
describe.each(diffCases)('plan --base: %s', (id) => {
  const cwd = join(repoRoot, 'testdata/diff', id);

  it('prints the golden text', async () => {
    const r = await cli(['plan', 'head.yaml', '--base', 'base.yaml'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot(`../../testdata/diff/${id}/plan.txt`);
  });

  it('prints the golden Markdown, without ANSI codes', async () => {
    // a terminal and FORCE_COLOR must not put escape codes into a PR comment
    const r = await cli(['plan', 'head.yaml', '--base', 'base.yaml', '--format', 'markdown'], cwd, { isTTY: true, env: { FORCE_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/\u001b/);
    await expect(r.stdout).toMatchFileSnapshot(`../../testdata/diff/${id}/plan.md`);
  });

  it('exits 3 with --detailed-exitcode exactly when routes change', async () => {
    const r = await cli(['plan', 'head.yaml', '--base', 'base.yaml', '--detailed-exitcode', '--format', 'json'], cwd);
    const doc = JSON.parse(r.stdout) as { routes: { changes: unknown[] } };
    expect(r.code).toBe(doc.routes.changes.length > 0 ? 3 : 0);
    const same = await cli(['plan', 'head.yaml', '--base', 'head.yaml', '--detailed-exitcode'], cwd);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^No route changes: \d+ addresses probed from internet, /);
  });
});
