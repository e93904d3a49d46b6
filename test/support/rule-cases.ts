import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { parse, stringify } from 'yaml';
import { analyze } from '../../src/analyze/analyze.js';
import { rules } from '../../src/analyze/registry.js';
import type { Finding } from '../../src/diagnostics/diagnostic.js';
import type { Model } from '../../src/model/model.js';
import { loadModel, type LoadedModel } from '../../src/pipeline.js';
import { cpuClock } from './cpu-clock.js';

/** A parsed chainmail document that a table case edits. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Cfg = any;

/** The table cases' helpers of one rule (see {@link ruleCases}). */
export interface RuleCases {
  /** Writes a document (object or YAML text) with extra files beside it into a temp dir and loads it. */
  load(config: Cfg | string, files?: Record<string, string>): LoadedModel;
  /** The rule's findings for a document. */
  findingsFor(config: Cfg | string, files?: Record<string, string>): Finding[];
  /** The rule's findings for a fixture of the rule's directory (`valid/x.yaml`) after `edit`. */
  findings(fixture: string, edit?: (c: Cfg) => void, files?: Record<string, string>): Finding[];
  /** The rule alone over a document, timed. */
  timed(config: Cfg | string): { findings: Finding[]; ms: number };
}

/**
 * Table cases of one rule: take a fixture of the rule's directory, edit the parsed YAML,
 * write it (with extra files beside it) into a temp dir, and return the rule's findings.
 * Call from `<rule-id>.test.ts` with `import.meta.url`; the temp dir goes in afterAll.
 */
export function ruleCases(ruleId: string, testFileUrl: string): RuleCases {
  const tmp = mkdtempSync(join(tmpdir(), `chainmail-${ruleId}-`));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let runs = 0;
  const load = (config: Cfg | string, files: Record<string, string> = {}): LoadedModel => {
    const dir = join(tmp, String(runs++));
    mkdirSync(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'chainmail.yaml'), typeof config === 'string' ? config : stringify(config));
    return loadModel(join(dir, 'chainmail.yaml'), { cwd: dir });
  };
  const model = (config: Cfg | string, files?: Record<string, string>): Model => {
    const loaded = load(config, files);
    if (!loaded.model) throw new Error(`no model: ${JSON.stringify(loaded.findings)}`);
    return loaded.model;
  };
  const findingsFor = (config: Cfg | string, files?: Record<string, string>): Finding[] =>
    analyze(model(config, files)).filter((f) => f.ruleId === ruleId);
  return {
    load,
    findingsFor,
    findings(fixture, edit = () => {}, files = {}) {
      const c: Cfg = parse(readFileSync(new URL(`fixtures/${fixture}`, testFileUrl), 'utf8'));
      edit(c);
      return findingsFor(c, files);
    },
    timed: (config) => timeRule(ruleId, model(config)),
  };
}

/** One rule alone over a model, timed in CPU ms (the other rules' time is not this rule's). */
export function timeRule(ruleId: string, model: Model): { findings: Finding[]; ms: number } {
  const cpu = cpuClock();
  const findings = analyze(model, new Set(rules.map((r) => r.id).filter((id) => id !== ruleId)));
  return { findings, ms: cpu() };
}

/** Path and data of each finding: what the table tests compare. */
export function pathsAndData(f: readonly Finding[]): { path: unknown; data: unknown }[] {
  return f.map((x) => ({ path: 'path' in x.at ? x.at.path : undefined, data: x.data }));
}
