import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';
import { loadModel } from '../../../pipeline.js';
import { analyze } from '../../analyze.js';

const RULE = 'default-policy-shared';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

/** The parsed YAML document that the cases edit. */
type Cfg = any;
const tmp = mkdtempSync(join(tmpdir(), `chainmail-${RULE}-`));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;

/** The rule's findings for a fixture (`valid/x.yaml`) after `edit`. */
function run(fixture: string, edit: (c: Cfg) => void = () => {}): Finding[] {
  const c: Cfg = parse(readFileSync(new URL(`fixtures/${fixture}`, import.meta.url), 'utf8'));
  edit(c);
  const file = join(tmp, `${runs++}.yaml`);
  writeFileSync(file, stringify(c));
  const loaded = loadModel(file, { cwd: tmp });
  if (!loaded.model) throw new Error(`no model: ${JSON.stringify(loaded.findings)}`);
  return analyze(loaded.model).filter((f) => f.ruleId === RULE);
}

/** Path and data of each finding. */
function summary(f: readonly Finding[]): { path: unknown; data: unknown }[] {
  return f.map((x) => ({ path: 'path' in x.at ? x.at.path : undefined, data: x.data }));
}

describe(RULE, () => {
  it.each<[string, string, (c: Cfg) => void, { path: unknown; data: unknown }[]]>([
    ['the shared space is the default primary', 'invalid/shared-primary.yaml', () => {}, [{ path: ['policies', 0, 'addresses', 0], data: { policy: 'Default Policy', system: 'exchange', domain: 'example.com', chain: 'example.com shared' } }]],
    ['checked or not', 'invalid/shared-primary-checked.yaml', () => {}, [{ path: ['policies', 0, 'addresses', 0], data: { policy: 'Default Policy', system: 'exchange', domain: 'example.com', chain: 'example.com shared' } }]],
    ['the last system may keep it', 'valid/last-system-keeps-shared-primary.yaml', () => {}, []],
    ['a system outside the chain is not concerned', 'invalid/shared-primary.yaml', (c) => (c.chains[0].order = ['unix']), []],
    ['a secondary shared space is not the primary', 'invalid/shared-primary-checked.yaml', (c) => ((c.policies[0].addresses[0].primary = false), (c.policies[0].addresses[1].primary = true)), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it.each([
    ['invalid/shared-primary.yaml', 'addresses: [{space: "@example.local", primary: true, authoritative: true}]', /declare "example\.local" under domains:/],
    ['invalid/shared-primary-checked.yaml', 'addresses: [{space: "@corp.example.local", primary: true, authoritative: true}]', /^make "@corp\.example\.local" the authoritative primary space/],
  ])('%s: the fix is a private primary space (step 1 a-g)', (fixture, yaml, description) => {
    const [f] = run(fixture);
    expect(f?.fix?.yaml).toBe(yaml);
    expect(f?.fix?.description).toMatch(description);
  });
});
