import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lint } from '../../src/analyze/lint.js';
import { loadModel } from '../../src/pipeline.js';
// @ts-expect-error: plain .mjs scripts without types
import { generate } from '../../bench/generate.mjs';
// @ts-expect-error: plain .mjs scripts without types
import { org } from '../../bench/relay-throughput.mjs';

/**
 * The benchmark's inputs build: `npm run bench` builds them with the CLI and reports a
 * failed build as an error row, so a new lint rule that a benchmark organisation breaks
 * would otherwise go unseen until someone runs the benchmark (the relay rows were errors
 * for a day after unreachable-recipient came).
 */
const dir = mkdtempSync(join(tmpdir(), 'chainmail-bench-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errors(file: string): string[] {
  const loaded = loadModel(file, { cwd: dir });
  const result = lint(loaded);
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.ruleId}: ${d.message}`);
}

describe('benchmark inputs', () => {
  it.each(['relay', 'postfix'])('the relay benchmark organisation (gateway kind %s) lints without errors', (kind) => {
    const file = join(dir, `relay-${kind}.yaml`);
    writeFileSync(file, org(2526, kind) as string);
    expect(errors(file)).toEqual([]);
  });

  it('a generated organisation of the config-scale benchmark lints without errors', () => {
    const out = join(dir, 'scale');
    generate(1000, out);
    expect(errors(join(out, 'chainmail.yaml'))).toEqual([]);
  });
});
