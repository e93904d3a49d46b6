import type { Formatter } from './format.js';

/**
 * `--format json`: `{ version: 1, diagnostics: [...], summary: { errors, warnings } }`
 * (spec section 6), 1-based positions, `fix` only when there is one.
 */
export const json: Formatter = (entries) => {
  const diagnostics = entries.flatMap((e) =>
    e.result.diagnostics.map((d) => ({
      ruleId: d.ruleId,
      severity: d.severity,
      message: d.message,
      file: d.file,
      line: d.line,
      column: d.column,
      endLine: d.endLine,
      endColumn: d.endColumn,
      ...(d.related.length ? { related: d.related } : {}),
      ...(d.fix ? { fix: d.fix } : {}),
    })),
  );
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return `${JSON.stringify({ version: 1, diagnostics, summary: { errors, warnings: diagnostics.length - errors } }, null, 2)}\n`;
};
