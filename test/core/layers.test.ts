import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/fixtures.js';

/**
 * The layering of src/ (.dependency-cruiser.cjs): a stage imports only from earlier
 * stages, no two folders import each other, and no command is a library of another. The
 * fixtures under test/fixtures/layers/ break each rule once, so the check is shown to fail.
 */
const CONFIG = join(repoRoot, '.dependency-cruiser.cjs');
const BIN = join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, '--config', CONFIG, '--output-type', 'err', 'src'], { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('layers', () => {
  it('src/ imports only from earlier stages', () => {
    const r = cruise(repoRoot);
    expect(r.out).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  }, 120_000);

  it.each([
    ['upward', 'no-upward-import-from-routing: src/routing/walk.js → src/analyze/rule.js'],
    ['cycle', 'no-cycle: src/compile/routing.js'],
    ['stray', 'no-unknown-stage: src/helpers/util.js'],
  ])('fails on the deliberate violation in test/fixtures/layers/%s', (name, expected) => {
    const r = cruise(join(repoRoot, 'test', 'fixtures', 'layers', name));
    expect(r.out).toContain(expected);
    expect(r.status).not.toBe(0);
  }, 120_000);
});
