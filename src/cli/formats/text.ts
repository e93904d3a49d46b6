import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Source, SourceStore } from '../../diagnostics/source-store.js';
import { docUrl } from '../../analyze/rule.js';
import type { Formatter } from './format.js';

const C = { red: '\u001b[31m', yellow: '\u001b[33m', dim: '\u001b[2m', bold: '\u001b[1m', cyan: '\u001b[36m', reset: '\u001b[0m' };

/**
 * `--format text`: `file:line:col: severity: message [rule]`, a code frame of the
 * offending lines with a caret underline, related locations, the fix, and a summary.
 */
export const text: Formatter = (entries, ctx) => {
  const paint = (code: string, s: string): string => (ctx.color ? `${code}${s}${C.reset}` : s);
  const out: string[] = [];
  let errors = 0;
  let warnings = 0;
  for (const { result, sources } of entries) {
    for (const d of result.diagnostics) {
      if (d.severity === 'error') errors++;
      else warnings++;
      const sev = d.severity === 'error' ? paint(C.red, 'error') : paint(C.yellow, 'warning');
      out.push(`${paint(C.bold, `${d.file}:${d.line}:${d.column}`)}: ${sev}: ${d.message} ${paint(C.dim, `[${d.ruleId}]`)}`);
      out.push(...codeFrame(sources, d, ctx.color));
      for (const r of d.related) out.push(`  ${paint(C.cyan, 'note')}: ${r.message} at ${r.file}:${r.line}:${r.column}`);
      if (d.fix) {
        out.push(`  ${paint(C.cyan, 'fix')}: ${d.fix.description}`);
        for (const l of d.fix.yaml.replace(/\n$/, '').split('\n')) out.push(`    ${paint(C.dim, '|')} ${visible(l)}`);
      }
      out.push(`  ${paint(C.dim, `see ${docUrl(d.ruleId)}`)}`);
      out.push('');
    }
  }
  const total = errors + warnings;
  const s = (k: number, w: string): string => `${k} ${w}${k === 1 ? '' : 's'}`;
  const hidden = ctx.hiddenWarnings ? ` (${s(ctx.hiddenWarnings, 'warning')} hidden by --quiet)` : '';
  if (total === 0) {
    const n = entries.length;
    out.push(paint(C.bold, `\u2714 ${n} file${n === 1 ? '' : 's'} checked, ${hidden ? 'no errors' : 'no problems'}${hidden}`));
  } else {
    out.push(paint(errors ? C.red : C.yellow, `\u2716 ${s(total, 'problem')} (${s(errors, 'error')}, ${s(warnings, 'warning')})${hidden}`));
  }
  return `${out.join('\n')}\n`;
};

const splitLines = new WeakMap<Source, string[]>();

/**
 * A source line as shown: a control character (a CR, an ESC that would start a terminal
 * sequence) or a line separator becomes U+FFFD, one character for one, so the caret
 * underline stays aligned and nothing in the source can start a line of the output.
 */
function visible(line: string): string {
  return line.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '\ufffd');
}

/** Up to two lines of context before, the lines of the span, and a caret underline. */
export function codeFrame(sources: SourceStore, d: Diagnostic, color: boolean): string[] {
  const src = sources.get(d.file);
  if (!src) return [];
  // split once per source, not once per diagnostic: 20,000 findings in a 2 MB file took
  // 10 s of splitting (one per contact of a long rewrite chain)
  let lines = splitLines.get(src);
  if (!lines) splitLines.set(src, (lines = src.text.split('\n')));
  const first = Math.max(1, d.line - 2);
  const last = Math.min(lines.length, Math.max(d.line, Math.min(d.endLine, d.line + 2)));
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const raw = visible((lines[n - 1] ?? '').replace(/\r$/, '').replace(/\t/g, ' '));
    const text = raw.length > 160 ? `${raw.slice(0, 157)}...` : raw;
    const marker = n === d.line ? '>' : ' ';
    out.push(`  ${marker} ${String(n).padStart(width)} | ${text}`);
    if (n >= d.line && n <= d.endLine) {
      const from = n === d.line ? d.column : 1;
      let to = n === d.endLine ? d.endColumn : text.length + 1;
      if (to <= from) to = from + 1;
      const span = Math.min(to - from, Math.max(1, text.length - from + 1));
      const caret = `${' '.repeat(from - 1)}${'^'.repeat(Math.max(1, span))}`;
      out.push(`    ${' '.repeat(width)} | ${color ? `\u001b[31m${caret}\u001b[0m` : caret}`);
    }
  }
  return out;
}
