import { docUrl } from '../../analyze/rule.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { shownPath } from '../../diagnostics/shown-path.js';
import type { Formatter } from './format.js';

/**
 * `--format markdown`: a GitHub-flavoured Markdown table for a pull-request comment
 * (severity, location, rule linked to its doc page, message) and a summary line; a single
 * success line when there are no findings. Never ANSI: the text is pasted, not shown on a TTY.
 */
export const markdown: Formatter = (entries, ctx) => {
  const n = entries.length;
  const s = (k: number, w: string): string => `${k} ${w}${k === 1 ? '' : 's'}`;
  const hidden = ctx.hiddenWarnings ? ` (${s(ctx.hiddenWarnings, 'warning')} hidden by --quiet)` : '';
  const checked = `${n} file${n === 1 ? '' : 's'} checked`;
  const diagnostics = entries.flatMap((e) => e.result.diagnostics);
  if (diagnostics.length === 0) return `:white_check_mark: **chainmail lint**: ${checked}, ${hidden ? 'no errors' : 'no problems'}${hidden}\n`;
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const out = [
    '| Severity | Location | Rule | Message |',
    '| --- | --- | --- | --- |',
    ...diagnostics.map(row),
    '',
    `${errors ? ':x:' : ':warning:'} **chainmail lint**: ${s(diagnostics.length, 'problem')} (${s(errors, 'error')}, ${s(warnings, 'warning')}), ${checked}${hidden}`,
  ];
  return `${out.join('\n')}\n`;
};

function row(d: Diagnostic): string {
  const severity = d.severity === 'error' ? ':x: error' : ':warning: warning';
  const where = escapeMarkdown(`${d.file}:${d.line}:${d.column}`);
  const rule = `[${escapeMarkdown(d.ruleId)}](${docUrl(encodeURIComponent(d.ruleId))})`;
  const notes = d.related.map((r) => `\nnote: ${r.message} at ${r.file}:${r.line}:${r.column}`).join('');
  return `| ${severity} | ${where} | ${rule} | ${escapeMarkdown(`${d.message}${notes}`)} |`;
}

/**
 * Inline code that shows `s` literally (CommonMark 6.1 code spans): a fence of backticks
 * longer than any run of backticks in it, a space inside the fence when `s` starts or ends
 * with a backtick or a space (one is stripped on each side), control characters and line
 * breaks shown as `\uXXXX` (a span cannot hold a line break). Used for file names.
 */
export function codeSpan(s: string): string {
  const body = shownPath(s);
  const fence = '`'.repeat(Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length)) + 1);
  const pad = /^[` ]|[` ]$/.test(body) ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** Text for raw HTML (a `<summary>`): the characters that could open a tag or an entity become references. */
export function htmlText(s: string): string {
  return shownPath(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Makes a user value literal inside a GFM table cell: backslash-escapes the punctuation that
 * would start markup (CommonMark 2.4 "any ASCII punctuation character may be backslash-
 * escaped"; GFM tables: `\|` for a pipe in a cell) and turns line breaks into `<br>`, since a
 * table row is one line. Control characters become visible `\uXXXX` text.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/[\\`*_[\]<>|~&#!]/g, '\\$&')
    .replace(/\r\n|\r|\n/g, '<br>')
    // control characters (an ESC would start an ANSI sequence) are shown, not sent
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
