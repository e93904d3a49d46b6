/**
 * A file name as every report shows it: control characters (C0, DEL, C1) and the Unicode
 * line and paragraph separators become visible `\uXXXX` text, so a name such as
 * "a\n::error ..." can neither start a line of the output (a GitHub workflow command, a
 * Markdown heading) nor move a terminal's cursor. Everything else is kept as it is; the
 * formats add their own escaping (Markdown, XML, JSON) on top.
 */
export function shownPath(name: string): string {
  return name.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** A file name in double quotes for a one-line message: JSON string escapes, plus the C1 controls and line separators JSON leaves as they are. */
export function quotedPath(name: string): string {
  return JSON.stringify(name).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
