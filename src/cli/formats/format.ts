import type { LintResult } from '../../analyze/lint.js';
import type { SourceStore } from '../../diagnostics/source-store.js';

/** One linted file and the sources its diagnostics point into. */
export interface FormatEntry {
  readonly result: LintResult;
  readonly sources: SourceStore;
}

/** What every formatter gets. */
export interface FormatContext {
  readonly color: boolean;
  readonly toolVersion: string;
  readonly cwd: string;
  /** Warnings left out by `lint --quiet`, so that the summary does not say "no problems". */
  readonly hiddenWarnings?: number;
  /** The rules the findings come from, when not the lint rules (`chainmail probe`'s classes). */
  readonly rules?: readonly RuleDescriptor[];
}

/** What SARIF says of a rule (reportingDescriptor): id, description, default level, doc page. */
export interface RuleDescriptor {
  readonly id: string;
  readonly description: string;
  readonly defaultSeverity: 'error' | 'warning';
  readonly helpUri: string;
}

/** A pure function from results to the text written on stdout. */
export type Formatter = (entries: readonly FormatEntry[], ctx: FormatContext) => string;
