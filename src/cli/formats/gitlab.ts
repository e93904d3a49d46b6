import { createHash } from 'node:crypto';
import { isAbsolute, relative } from 'node:path';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Formatter } from './format.js';

/** One issue of a GitLab Code Quality report (GitLab docs, "Code Quality report format"). */
export interface CodeQualityIssue {
  readonly description: string;
  readonly check_name: string;
  /** Unique per issue; GitLab compares reports of two pipelines by it. */
  readonly fingerprint: string;
  readonly severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  readonly location: { readonly path: string; readonly lines: { readonly begin: number } };
}

/**
 * `--format gitlab`: a GitLab Code Quality report, the JSON array that a job publishes with
 * `artifacts: reports: codequality: FILE` and GitLab shows in the merge request widget
 * (a subset of the Code Climate spec: description, check_name, fingerprint, severity,
 * location.path relative to the repository, location.lines.begin). Always an array, `[]`
 * without findings, so the artifact exists and "no issues" is reported as such.
 */
export const gitlab: Formatter = (entries, ctx) => {
  const seen = new Map<string, number>();
  const issues: CodeQualityIssue[] = entries.flatMap((e) =>
    e.result.diagnostics.map((d) => {
      const path = repoPath(d.file, ctx.cwd);
      const key = `${d.ruleId}\u0000${path}\u0000${d.message}`;
      // identical (rule, file, message) findings are told apart by order, which survives
      // line shifts: a finding moved by an edit above it keeps its fingerprint
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      return {
        description: issueText(d),
        check_name: d.ruleId,
        fingerprint: createHash('sha256').update(`${key}\u0000${n}`).digest('hex').slice(0, 32),
        // errors fail the job (exit 1), warnings do not: the usual linter mapping
        // (eslint-formatter-gitlab, lintr)
        severity: d.severity === 'error' ? 'major' : 'minor',
        location: { path, lines: { begin: d.line } },
      };
    }),
  );
  return `${JSON.stringify(issues, null, 2)}\n`;
};

/** The message, with the related places ("also claimed here") GitLab has no field for. */
function issueText(d: Diagnostic): string {
  const notes = d.related.map((r) => `${r.message} at ${r.file}:${r.line}`);
  return notes.length ? `${d.message} (${notes.join('; ')})` : d.message;
}

/** A path relative to the repository (the working directory of the job), forward slashes. */
export function repoPath(file: string, cwd: string): string {
  const rel = isAbsolute(file) ? relative(cwd, file) : file;
  return rel.split('\\').join('/').replace(/^(\.\/)+/, '');
}
