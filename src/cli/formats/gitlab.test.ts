import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, repoRoot, run, type JsonReport } from '../../../test/cli/support.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { SourceStore } from '../../diagnostics/source-store.js';
import { gitlab, repoPath, type CodeQualityIssue } from './gitlab.js';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js').default;

/**
 * The GitLab Code Quality report format as GitLab documents it (docs.gitlab.com, CI >
 * Testing > Code Quality, "Code Quality report format"): a JSON array of objects with
 * description, check_name, fingerprint (unique), severity (one of info, minor, major,
 * critical, blocker), location.path (relative to the repository, no "./") and
 * location.lines.begin. Written here from those fields: GitLab publishes no schema file.
 */
const CODE_QUALITY_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'array',
  items: {
    type: 'object',
    required: ['description', 'check_name', 'fingerprint', 'severity', 'location'],
    properties: {
      description: { type: 'string', minLength: 1 },
      check_name: { type: 'string', minLength: 1 },
      fingerprint: { type: 'string', minLength: 1 },
      severity: { enum: ['info', 'minor', 'major', 'critical', 'blocker'] },
      location: {
        type: 'object',
        required: ['path', 'lines'],
        properties: {
          path: { type: 'string', minLength: 1, not: { pattern: '^(\\./|/)' } },
          lines: {
            type: 'object',
            required: ['begin'],
            properties: { begin: { type: 'integer', minimum: 1 } },
          },
        },
      },
    },
  },
};
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(CODE_QUALITY_SCHEMA);

function report(stdout: string): CodeQualityIssue[] {
  const parsed: unknown = JSON.parse(stdout);
  const ok = validate(parsed);
  expect(validate.errors ?? [], 'the documented Code Quality shape').toEqual([]);
  expect(ok).toBe(true);
  const issues = parsed as CodeQualityIssue[];
  expect(new Set(issues.map((i) => i.fingerprint)).size, 'fingerprints are unique').toBe(issues.length);
  return issues;
}

const work = mkdtempSync(join(tmpdir(), 'chainmail-gitlab-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('--format gitlab (GitLab Code Quality)', () => {
  it('reports every finding of a file in the documented shape, exit 1 on errors', async () => {
    const file = fixture('invalid.yaml');
    const r = await run(['lint', '--format', 'gitlab', file]);
    expect(r.code).toBe(1);
    const issues = report(r.stdout);
    const json = JSON.parse((await run(['lint', '--format', 'json', file])).stdout) as JsonReport;
    expect(issues.map((i) => [i.check_name, i.location.path, i.location.lines.begin, i.severity])).toEqual(
      json.diagnostics.map((d) => [d.ruleId, file, d.line, d.severity === 'error' ? 'major' : 'minor']),
    );
    expect(issues.map((i) => i.description)).toEqual(json.diagnostics.map((d) => expect.stringContaining(d.message) as unknown as string));
  });

  it('prints [] for a clean file (the artifact exists and says "no issues")', async () => {
    const r = await run(['lint', '--format', 'gitlab', 'examples/method1/chainmail.yaml']);
    expect(r.code).toBe(0);
    expect(report(r.stdout)).toEqual([]);
  });

  it('keeps fingerprints when lines shift, and tells identical findings apart', async () => {
    const text = readFileSync(join(repoRoot, fixture('invalid.yaml')), 'utf8');
    const a = join(work, 'a.yaml');
    writeFileSync(a, text);
    const before = report((await run(['lint', '--format', 'gitlab', a], { cwd: work })).stdout);
    writeFileSync(a, `# two lines\n# added above\n${text}`);
    const after = report((await run(['lint', '--format', 'gitlab', a], { cwd: work })).stdout);
    expect(after.map((i) => i.fingerprint)).toEqual(before.map((i) => i.fingerprint));
    expect(after.map((i) => i.location.lines.begin)).toEqual(before.map((i) => i.location.lines.begin + 2));
    // an absolute path on the command line is reported relative to the job's directory
    expect(after.every((i) => i.location.path === 'a.yaml')).toBe(true);
  });

  it('gives identical findings distinct fingerprints and keeps related places in the description', () => {
    const d = (line: number): Diagnostic => ({
      ruleId: 'duplicate-address',
      severity: 'error',
      message: 'address "a@example.com" is on two objects',
      file: 'mail.yaml',
      line,
      column: 3,
      endLine: line,
      endColumn: 9,
      related: [{ message: 'also here', file: 'mail.yaml', line: 2, column: 3, endLine: 2, endColumn: 9 }],
    });
    const entry = { result: { file: 'mail.yaml', diagnostics: [d(5), d(9)], errors: 2, warnings: 0 }, sources: new SourceStore() };
    const issues = report(gitlab([entry], { color: false, toolVersion: '0.0.0', cwd: '/repo' }));
    expect(issues).toHaveLength(2);
    expect(issues[0]?.description).toBe('address "a@example.com" is on two objects (also here at mail.yaml:2)');
  });

  it.each([
    ['dir/file.yaml', '/repo', 'dir/file.yaml'],
    ['./dir/file.yaml', '/repo', 'dir/file.yaml'],
    ['/repo/dir/file.yaml', '/repo', 'dir/file.yaml'],
    ['dir\\file.yaml', '/repo', 'dir/file.yaml'],
  ])('repoPath(%j, %j) = %j', (file, cwd, want) => {
    expect(repoPath(file, cwd)).toBe(want);
  });
});
