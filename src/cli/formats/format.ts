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
}

/** A pure function from results to the text written on stdout. */
export type Formatter = (entries: readonly FormatEntry[], ctx: FormatContext) => string;
