import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { parse, stringify } from 'yaml';
import { analyze } from '../../src/analyze/analyze.js';
import type { Finding } from '../../src/diagnostics/diagnostic.js';
import { loadModel } from '../../src/pipeline.js';

/** A parsed chainmail document that a table case edits. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Cfg = any;

/**
 * Table cases of one rule: take a fixture of the rule's directory, edit the parsed YAML,
 * write it (with extra files beside it) into a temp dir, and return the rule's findings.
 * Call from `<rule-id>.test.ts` with `import.meta.url`; the temp dir goes in afterAll.
 */
export function ruleCases(ruleId: string, testFileUrl: string): {
  findings(fixture: string, edit?: (c: Cfg) => void, files?: Record<string, string>): Finding[];
} {
  const tmp = mkdtempSync(join(tmpdir(), `chainmail-${ruleId}-`));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let runs = 0;
  return {
    findings(fixture, edit = () => {}, files = {}) {
      const c: Cfg = parse(readFileSync(new URL(`fixtures/${fixture}`, testFileUrl), 'utf8'));
      edit(c);
      const dir = join(tmp, String(runs++));
      mkdirSync(dir);
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      writeFileSync(join(dir, 'chainmail.yaml'), stringify(c));
      const loaded = loadModel(join(dir, 'chainmail.yaml'), { cwd: dir });
      if (!loaded.model) throw new Error(`no model: ${JSON.stringify(loaded.findings)}`);
      return analyze(loaded.model).filter((f) => f.ruleId === ruleId);
    },
  };
}
