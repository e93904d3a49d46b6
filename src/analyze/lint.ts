import type { Diagnostic, Finding, RelatedLocation, Severity, SeveritySetting, Span } from '../diagnostics/diagnostic.js';
import { sortDiagnostics } from '../diagnostics/diagnostic.js';
import type { LoadedModel } from '../pipeline.js';
import { analyze } from './analyze.js';
import { ruleById } from './registry.js';
import { suppressions } from './suppress.js';

/** Options of {@link lint}. @public */
export interface LintOptions {
  /** Severity overrides that win over the file's `lint.rules`. */
  readonly rules?: Readonly<Record<string, SeveritySetting>>;
}

/** The result of linting one file. @public */
export interface LintResult {
  readonly file: string;
  readonly diagnostics: readonly Diagnostic[];
  readonly errors: number;
  readonly warnings: number;
  /** Set when the file could not be read at all (exit 2). */
  readonly fatal?: string;
}

/**
 * Lints a loaded file: the load and schema findings plus every rule's, with the file's
 * `lint.rules` severities and `# chainmail-disable-next-line` suppressions applied,
 * sorted by file and position.
 * @public
 */
export function lint(loaded: LoadedModel, options: LintOptions = {}): LintResult {
  if (loaded.fatal) return { file: loaded.file, diagnostics: [], errors: 0, warnings: 0, fatal: loaded.fatal };
  const settings: Record<string, SeveritySetting> = { ...(loaded.model?.lintRules ?? {}), ...(options.rules ?? {}) };
  const off = new Set(Object.entries(settings).filter(([, s]) => s === 'off').map(([id]) => id));
  const findings: Finding[] = [...loaded.findings];
  if (loaded.model) findings.push(...analyze(loaded.model, off));
  const suppressed = suppressions(loaded.sources);
  const diagnostics: Diagnostic[] = [];
  const shared = new SharedAnchors();
  for (const f of findings) {
    const severity = severityOf(f.ruleId, settings);
    if (severity === 'off') continue;
    const { diagnostic: d, via } = loaded.locator.locateTraced(f, severity);
    const ids = suppressed.get(d.file)?.get(d.line);
    // yaml-syntax cannot be suppressed: a comment cannot fix a file that does not parse
    if (ids && f.ruleId !== 'yaml-syntax' && (ids.has('*') || ids.has(f.ruleId))) continue;
    if (shared.merged(d, via, loaded.locator)) continue;
    diagnostics.push(d);
  }
  const sorted = sortDiagnostics(diagnostics);
  return {
    file: loaded.file,
    diagnostics: sorted,
    errors: sorted.filter((d) => d.severity === 'error').length,
    warnings: sorted.filter((d) => d.severity === 'warning').length,
  };
}

/**
 * One problem in a YAML anchor is one diagnostic: when objects share a value through an
 * alias or merge key (`<<: *defaults`), the findings about it for each object land on the
 * same place in the anchor; the first is kept, and each further object that merges the
 * anchor becomes a related location at its alias ("also merged here").
 */
class SharedAnchors {
  readonly #kept = new Map<string, { d: Diagnostic; viaAlias: boolean }>();

  merged(d: Diagnostic, via: Span | undefined, locator: LoadedModel['locator']): boolean {
    const key = `${d.ruleId}|${d.file}|${d.line}:${d.column}-${d.endLine}:${d.endColumn}`;
    const first = this.#kept.get(key);
    if (!first || (!via && !first.viaAlias)) {
      if (!first) this.#kept.set(key, { d, viaAlias: via !== undefined });
      return false;
    }
    // where this object takes the anchor in (its `<<` or alias); the finding's own place otherwise
    const place = via ? locator.lines(via) : { file: d.file, line: d.line, column: d.column, endLine: d.endLine, endColumn: d.endColumn };
    (first.d.related as RelatedLocation[]).push({ message: `also merged here: ${d.message}`, ...place });
    return true;
  }
}

function severityOf(ruleId: string, settings: Record<string, SeveritySetting>): SeveritySetting {
  const s = settings[ruleId];
  if (s !== undefined) return s;
  const rule = ruleById.get(ruleId);
  return rule?.defaultSeverity ?? ('error' satisfies Severity);
}
