import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';
import { loadModel } from '../../../pipeline.js';
import { analyze } from '../../analyze.js';

const RULE = 'remote-policy-authoritative';
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
    ['the remote policy has the box checked', 'invalid/remote-checked.yaml', () => {}, [{ path: ['policies', 1, 'addresses', 0], data: { policy: 'Remote domains', system: 'exchange', domain: 'remote.domain' } }]],
    ['an IDN remote space in the default policy', 'invalid/in-default-policy.yaml', () => {}, [{ path: ['policies', 0, 'addresses', 1], data: { policy: 'Default Policy', system: 'exchange', domain: 'xn--r8jz45g.jp' } }]],
    ['unchecked, as method 2 step 1 says', 'valid/method2.yaml', () => {}, []],
    ['a domain that is not remote', 'invalid/remote-checked.yaml', (c) => (c.domains['remote.domain'] = {}), []],
    ['a policy of an unknown system', 'invalid/remote-checked.yaml', (c) => (c.policies[1].system = 'exch'), []],
  ])('%s', (_, fixture, edit, want) => {
    const f = run(fixture, edit);
    expect(f.every((x) => x.ruleId === RULE)).toBe(true);
    expect(summary(f)).toEqual(want);
  });

  it('unchecks the box and points at the remote declaration', () => {
    const [f] = run('invalid/remote-checked.yaml');
    expect(f?.fix?.yaml).toBe('space: "@remote.domain"\nauthoritative: false');
    expect(f?.related?.map((r) => r.at)).toEqual([{ path: ['domains', 'remote.domain', 'remote'] }]);
  });
});
