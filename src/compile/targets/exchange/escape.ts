/**
 * Escaping for the two Exchange artifacts: PowerShell single-quoted strings (setup.ps1) and
 * Markdown (runbook.md). User values (names, filters, addresses) pass through here only.
 */

/**
 * A PowerShell single-quoted (verbatim) string. Inside one, only a quote is special and a
 * doubled quote stands for one; PowerShell also takes the typographic quotes U+2018-U+201B
 * as single quotes (about_Quoting_Rules), so those are doubled as well. `$`, backtick and
 * double quotes are literal there: nothing is expanded.
 */
export function psString(value: string): string {
  // most values have no quote at all: no replace (and no callback) for them
  if (!QUOTES.test(value)) return `'${value}'`;
  return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

const QUOTES = /['\u2018\u2019\u201a\u201b]/;

/** A PowerShell array of single-quoted strings: `'a', 'b'`. */
export function psList(values: readonly string[]): string {
  return values.map(psString).join(', ');
}

/**
 * One line of a PowerShell comment: a line break in a user value would end the comment and
 * run the rest as code, and `#>` would end a block comment.
 */
export function psComment(text: string): string {
  // most comments hold neither: no two replaces (and two strings) for them
  if (!COMMENT_BREAKERS.test(text)) return `# ${text}`;
  return `# ${text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').replace(/#>/g, '# >')}`;
}

const COMMENT_BREAKERS = /[\u0000-\u001f\u007f\u2028\u2029]|#>/;

/**
 * An inline Markdown code span holding `value` verbatim (CommonMark 6.1): a fence longer than
 * any backtick run inside, padded with spaces when the value starts or ends with a backtick.
 * Line breaks become spaces (a code span is one line here). In a table cell `|` is escaped,
 * which GFM removes again before the code span is read.
 */
export function mdCode(value: string, inTable = false): string {
  // the common case (no backtick, line break or "|"): the value in single backticks, no regex pass
  if (value !== '' && !CODE_SPECIAL.test(value)) {
    const pad = value.startsWith(' ') && value.endsWith(' ') && value.trim() !== '' ? ' ' : '';
    return `\`${pad}${value}${pad}\``;
  }
  let v = value.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
  if (inTable) v = v.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(v.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = v.startsWith('`') || v.endsWith('`') || (v.startsWith(' ') && v.endsWith(' ') && v.trim() !== '') ? ' ' : '';
  return v === '' ? '(empty)' : `${fence}${pad}${v}${pad}${fence}`;
}

const CODE_SPECIAL = /[`\r\n\u2028\u2029|]/;

/**
 * Plain Markdown text inside a line: the punctuation that could start emphasis, a link, code,
 * HTML or a table cell is escaped (CommonMark 2.4 backslash escapes).
 */
export function mdText(value: string): string {
  return value.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ').replace(/[\\`*_{}[\]()<>#|~&]/g, (c) => `\\${c}`);
}

/** The helper both Exchange scripts (setup.ps1, setup-exo.ps1) look objects up with. */
export const FIND_EXCHANGE_OBJECT: readonly string[] = [
  '# $null when the object does not exist (Get-* fails for an identity that is not found).',
  'function Find-ExchangeObject([scriptblock] $Lookup) {',
  '    try { & $Lookup } catch { $null }',
  '}',
];
