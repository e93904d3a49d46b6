/** Severity of a diagnostic. `off` exists only in settings. @public */
export type Severity = 'error' | 'warning';

/** A severity setting of `lint.rules`. @public */
export type SeveritySetting = Severity | 'off';

/** A path into the merged chainmail file, e.g. `['systems', 'unix', 'host']`. @public */
export type Path = readonly (string | number)[];

/** A byte range (UTF-16 offsets) of one source file. @public */
export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Where a finding points: a model path (turned into a span by `locate`), optionally at the
 * key rather than the value, or a span directly (mailbox files, YAML syntax errors).
 * @public
 */
export type Target = { readonly path: Path; readonly key?: boolean } | { readonly span: Span };

/** A mechanical repair: the YAML to add or change. @public */
export interface Fix {
  readonly description: string;
  readonly yaml: string;
}

/** What a rule or stage reports, before positions are computed. @public */
export interface Finding {
  readonly ruleId: string;
  readonly message: string;
  readonly at: Target;
  readonly related?: readonly { readonly message: string; readonly at: Target }[];
  readonly fix?: Fix;
  /** Structured values of the message, for tests and machine consumers. */
  readonly data?: Readonly<Record<string, string>>;
}

/** A related location of a diagnostic ("also claimed here"). @public */
export interface RelatedLocation {
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** A located finding: the public diagnostic shape (1-based lines and columns). @public */
export interface Diagnostic {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly related: readonly RelatedLocation[];
  readonly fix?: Fix;
  readonly data?: Readonly<Record<string, string>>;
}

/** Sorts diagnostics by file, position, rule id and message (stable output for every format). */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      cmp(a.file, b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      cmp(a.ruleId, b.ruleId) ||
      cmp(a.message, b.message),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON-quotes a user value for a message, as in `domain "example.com"`. */
export function q(value: string): string {
  return JSON.stringify(value);
}
