import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rules } from '../../src/analyze/registry.js';
import { docUrl } from '../../src/analyze/rule.js';
import { fileUri, sarif } from '../../src/cli/formats/sarif.js';
import { VERSION } from '../../src/cli/version.js';
import { fixture, run } from './support.js';
import { ctx, diag, entry, nasty } from './synthetic.js';

const require = createRequire(import.meta.url);
// the official schema is draft-07: the default ajv export, with ajv-formats for uri/date-time
const Ajv = require('ajv') as typeof import('ajv').default;
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
const sarifSchema = JSON.parse(readFileSync(new URL('../fixtures/sarif-schema-2.1.0.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validateSarif = ajv.compile(sarifSchema);

describe('sarif', () => {
  it.each([
    ['the invalid fixture', [fixture('invalid.yaml')]],
    ['a warnings-only fixture', [fixture('warnings.yaml')]],
    ['a clean file (no results)', ['examples/method1/chainmail.yaml']],
    ['several files at once', [fixture('invalid.yaml'), fixture('duplicate-keys.yaml'), 'examples/method1/chainmail.yaml']],
  ])('validates against the SARIF 2.1.0 schema: %s', async (_name, files) => {
    const r = await run(['lint', '--format', 'sarif', ...files]);
    const log = JSON.parse(r.stdout) as unknown;
    expect(validateSarif(log), ajv.errorsText(validateSarif.errors)).toBe(true);
  });

  it('validates with related locations, fixes, odd paths and unregistered rules', () => {
    const log = JSON.parse(sarif([entry(nasty)], ctx)) as unknown;
    expect(validateSarif(log), ajv.errorsText(validateSarif.errors)).toBe(true);
  });

  it.each([
    ['a 0-based line', (r: SarifResult) => Object.assign(r.locations[0]!.physicalLocation.region, { startLine: 0 })],
    ['an unknown level', (r: SarifResult) => Object.assign(r, { level: 'fatal' })],
    ['a message without text', (r: SarifResult) => Object.assign(r, { message: {} })],
  ])('the schema really rejects a broken log: %s', (_name, breakIt) => {
    const log = JSON.parse(sarif([entry(nasty)], ctx)) as SarifLog;
    breakIt(log.runs[0]!.results[0]!);
    expect(validateSarif(log)).toBe(false);
  });

  it('has one reportingDescriptor per registered rule, with its doc page and default level', () => {
    const log = JSON.parse(sarif([], ctx)) as SarifLog;
    const driver = log.runs[0]!.tool.driver;
    expect(driver).toMatchObject({ name: 'chainmail', version: VERSION, informationUri: expect.stringMatching(/^https:\/\//) });
    expect(driver.rules.map((d) => d.id)).toEqual(rules.map((r) => r.id));
    for (const [i, d] of driver.rules.entries()) {
      const rule = rules[i]!;
      expect(d).toEqual({
        id: rule.id,
        name: rule.id,
        shortDescription: { text: rule.description },
        helpUri: docUrl(rule.id),
        defaultConfiguration: { level: rule.defaultSeverity },
      });
    }
    expect(log.runs[0]!.results).toEqual([]);
  });

  it('maps each diagnostic to a result with ruleIndex, level, region and related locations', () => {
    const log = JSON.parse(sarif([entry(nasty)], ctx)) as SarifLog;
    const [first, second, third] = log.runs[0]!.results;
    const index = rules.findIndex((r) => r.id === 'duplicate-address');
    expect(first).toMatchObject({
      ruleId: 'duplicate-address',
      level: 'error',
      message: { text: nasty[0]!.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'dir/sub%20dir/we%2Cird%3Aname.yaml' },
            region: { startLine: 3, startColumn: 5, endLine: 3, endColumn: 9 },
          },
        },
      ],
      relatedLocations: [
        {
          id: 0,
          message: { text: 'first as a mailbox of "unix"' },
          physicalLocation: { artifactLocation: { uri: 'mailboxes.txt' }, region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 18 } },
        },
      ],
      properties: { fix: nasty[0]!.fix },
    });
    if (index >= 0) expect(first!.ruleIndex).toBe(index);
    expect(second).toMatchObject({ level: 'warning' });
    expect(second!.relatedLocations).toBeUndefined();
    // a rule the registry does not know has no ruleIndex rather than a wrong one
    expect(third!.ruleIndex).toBeUndefined();
    expect(third!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('file:///abs/path/x.yaml');
  });

  it.each([
    ['chainmail.yaml', 'chainmail.yaml'],
    ['dir/sub/x.yaml', 'dir/sub/x.yaml'],
    ['dir\\sub\\x.yaml', 'dir/sub/x.yaml'],
    ['a b#c?.yaml', 'a%20b%23c%3F.yaml'],
    ['例え/メール.txt', '%E4%BE%8B%E3%81%88/%E3%83%A1%E3%83%BC%E3%83%AB.txt'],
    ['/etc/chainmail.yaml', 'file:///etc/chainmail.yaml'],
  ])('file %j becomes the URI %j (relative, forward slashes)', (file, uri) => {
    expect(fileUri(file)).toBe(uri);
  });

  describe('partialFingerprints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainmail-sarif-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const source = readFileSync(fixture('invalid.yaml'), 'utf8');

    async function results(text: string): Promise<SarifResult[]> {
      writeFileSync(join(dir, 'chainmail.yaml'), text);
      const r = await run(['lint', '--format', 'sarif', 'chainmail.yaml'], { cwd: dir });
      return (JSON.parse(r.stdout) as SarifLog).runs[0]!.results;
    }

    it('stay the same when lines shift, and differ between findings', async () => {
      const before = await results(source);
      const after = await results(`# three lines\n# added at\n# the top\n${source}`);
      expect(before.length).toBeGreaterThan(1);
      expect(after.map((r) => r.locations[0]!.physicalLocation.region.startLine)).toEqual(
        before.map((r) => r.locations[0]!.physicalLocation.region.startLine + 3),
      );
      expect(after.map((r) => r.partialFingerprints)).toEqual(before.map((r) => r.partialFingerprints));
      const prints = before.map((r) => Object.values(r.partialFingerprints).join());
      expect(new Set(prints).size).toBe(prints.length);
    });

    it('tell identical findings in one file apart', () => {
      const twice = [diag({ line: 1, endLine: 1 }), diag({ line: 7, endLine: 7 })];
      const log = JSON.parse(sarif([entry(twice)], ctx)) as SarifLog;
      const [a, b] = log.runs[0]!.results.map((r) => Object.values(r.partialFingerprints).join());
      expect(a).not.toBe(b);
    });
  });
});

interface SarifResult {
  ruleId: string;
  ruleIndex?: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
  relatedLocations?: unknown[];
  partialFingerprints: Record<string, string>;
}

interface SarifLog {
  runs: {
    tool: { driver: { name: string; rules: { id: string }[] } };
    results: SarifResult[];
  }[];
}
