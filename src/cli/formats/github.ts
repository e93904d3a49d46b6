import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Formatter } from './format.js';

/**
 * `--format github`: one GitHub Actions workflow command per finding, which the runner turns
 * into an annotation on the pull request's diff:
 * `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=RULE::MESSAGE`.
 * Related locations follow the message as `note:` lines. No output when there are no findings.
 */
export const github: Formatter = (entries) => {
  const lines = entries.flatMap((e) => e.result.diagnostics.map(command));
  return lines.length ? `${lines.join('\n')}\n` : '';
};

function command(d: Diagnostic): string {
  const props: [string, string | number][] = [
    ['file', d.file.replace(/\\/g, '/')],
    ['line', d.line],
  ];
  // @actions/core AnnotationProperties: columns "cannot be sent when startLine and endLine
  // are different values"
  if (d.endLine === d.line) props.push(['col', d.column], ['endLine', d.endLine], ['endColumn', d.endColumn]);
  else props.push(['endLine', d.endLine]);
  props.push(['title', d.ruleId]);
  const notes = d.related.map((r) => `\nnote: ${r.message} at ${r.file}:${r.line}:${r.column}`).join('');
  const kind = d.severity === 'error' ? 'error' : 'warning';
  return `::${kind} ${props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',')}::${escapeData(`${d.message}${notes}`)}`;
}

/** Escapes a command's message (@actions/core `escapeData`): %, CR and LF. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a property value (@actions/core `escapeProperty`): also the delimiters : and ,. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
