import type { Finding, Severity } from '../diagnostics/diagnostic.js';
import type { Model } from '../model/model.js';

/** What a rule reports: a finding without its rule id (the engine adds it). @public */
export type Report = Omit<Finding, 'ruleId'>;

/** What a rule sees: the model, a reporter, and a memo for indexes shared between rules. @public */
export interface RuleContext {
  readonly model: Model;
  report(finding: Report): void;
  /** Computes `compute(model)` once per analysis run and shares it between rules. */
  memo<T>(key: string, compute: (model: Model) => T): T;
}

/** A lint rule: metadata plus a pure check over the model. @public */
export interface Rule {
  /** Stable kebab-case id that names the problem. */
  readonly id: string;
  readonly defaultSeverity: Severity;
  /** One line, for `--format sarif`, the docs index and `chainmail rules`. */
  readonly description: string;
  /**
   * Findings that stages other than analyze produce (yaml-syntax, schema) have no check;
   * they are registered for their metadata and severity.
   */
  readonly check?: (ctx: RuleContext) => void;
}

/** Declares a rule (an identity function that keeps the literal types). */
export function defineRule<const R extends Rule>(rule: R): R {
  return rule;
}

/** Where each rule's documentation lives, relative to the package root. */
export function docPath(id: string): string {
  return `docs/rules/${id}.md`;
}

/** The public documentation URL of a rule (SARIF helpUri, text output). */
export function docUrl(id: string): string {
  return `https://github.com/chainmail-dev/chainmail/blob/main/docs/rules/${id}.md`;
}
