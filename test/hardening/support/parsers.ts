/**
 * Independent readers for every artifact format, written from the format specifications and
 * not from the compile targets' own escaping code: a round trip through the target's writer
 * and one of these readers proves the writer, not itself. Every reader is strict: what the
 * real tool would read differently (a continuation line, a bare special in a DN, an unsafe
 * LDIF value, an unterminated string) is an error, not a guess.
 */

/** One entry of a postmap(1) source file. */
export interface MapEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/**
 * Reads a postmap(1) source file the way Postfix does (postmap(1) "INPUT FILE FORMAT"): a
 * line whose first non-blank character is `#` is a comment, a blank line is ignored, a
 * line that starts with whitespace continues the previous logical line, and an entry is
 * "key whitespace value". chainmail never writes continuation lines, so one is an error
 * here, as is a key without a value. Whitespace is Postfix's ISSPACE (C locale).
 */
export function parsePostfixMap(text: string): MapEntry[] {
  if (!text.endsWith('\n')) throw new Error('map file does not end with a newline');
  const out: MapEntry[] = [];
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const n = i + 1;
      if (/^[ \t\v\f\r]*$/.test(line)) return;
      if (/^[ \t\v\f\r]*#/.test(line)) {
        if (!line.startsWith('#')) throw new Error(`line ${n}: indented comment (a continuation of the previous entry)`);
        return;
      }
      if (/^[ \t\v\f\r]/.test(line)) throw new Error(`line ${n}: starts with whitespace (a continuation line): ${JSON.stringify(line)}`);
      const m = /^([^ \t\v\f\r]+)[ \t\v\f\r]+([^ \t\v\f\r](?:.*[^ \t\v\f\r])?)[ \t\v\f\r]*$/s.exec(line);
      if (!m) throw new Error(`line ${n}: not "key whitespace value": ${JSON.stringify(line)}`);
      out.push({ key: m[1] ?? '', value: m[2] ?? '', line: n });
    });
  return out;
}

/** One `name = value` parameter of main.cf (postconf(5) "SYNTAX"). */
export function parseMainCf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (/^\s*$/.test(line) || /^\s*#/.test(line)) {
      if (/^\s+#/.test(line)) throw new Error(`line ${i + 1}: indented comment`);
      return;
    }
    if (/^\s/.test(line)) throw new Error(`line ${i + 1}: continuation line ${JSON.stringify(line)}`);
    const m = /^([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not "name = value": ${JSON.stringify(line)}`);
    if (out.has(m[1] ?? '')) throw new Error(`line ${i + 1}: ${m[1]} set twice`);
    out.set(m[1] ?? '', m[2] ?? '');
  });
  return out;
}

/**
 * RFC 4180 CSV: fields separated by `,`, records by CRLF; a field in double quotes may hold
 * commas, CR, LF and doubled quotes; an unquoted field may hold none of `",\r\n`. The file
 * must end with CRLF. Strict: a quote inside an unquoted field or text after a closing quote
 * is an error (Excel and csvde would read it some other way).
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  if (!text.endsWith('\r\n')) throw new Error('CSV does not end with CRLF');
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        const c = text[i];
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`quote inside an unquoted field at ${i}`);
        field += text[i];
        i++;
      }
    }
    row.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
      continue;
    }
    throw new Error(`unexpected ${JSON.stringify(text[i])} after a field at ${i}`);
  }
  return rows;
}

/** The text of a csvde file: UTF-16LE after a byte order mark (csvde -u), else ASCII. */
export function decodeCsvde(content: string | Uint8Array): string {
  if (typeof content === 'string') {
    if (!/^[\x00-\x7f]*$/.test(content)) throw new Error('a single-byte csvde file with non-ASCII text (csvde would read it in the ANSI code page)');
    return content;
  }
  if (content[0] !== 0xff || content[1] !== 0xfe) throw new Error('binary csvde file without a UTF-16LE byte order mark');
  return new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true }).decode(content.subarray(2));
}

/** One attribute type and value of an RDN. */
export interface Ava {
  readonly type: string;
  readonly value: string;
}

/**
 * Parses an RFC 4514 distinguished name into its RDNs (single-valued: chainmail writes no
 * multi-valued RDNs, so an unescaped `+` is an error). Strict on the value syntax of RFC 4514
 * section 2.4: `"`, `+`, `,`, `;`, `<`, `>`, `\` and NUL must be escaped, as must a leading
 * space or `#` and a trailing space; `\XX` hex pairs are UTF-8 bytes, which must decode.
 */
export function parseDn(dn: string): Ava[] {
  if (dn === '') return [];
  const out: Ava[] = [];
  let i = 0;
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (;;) {
    const t = /^([A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)*)=/.exec(dn.slice(i));
    if (!t) throw new Error(`no attribute type at ${i} of ${JSON.stringify(dn)}`);
    i += t[0].length;
    const bytes: number[] = [];
    const start = i;
    let lastEscaped = -1;
    while (i < dn.length && dn[i] !== ',') {
      const c = dn[i] ?? '';
      if (c === '\\') {
        const hex = dn.slice(i + 1, i + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 3;
        } else {
          const next = dn[i + 1];
          if (next === undefined || !'"+,;<>\\ #='.includes(next)) throw new Error(`bad escape at ${i} of ${JSON.stringify(dn)}`);
          bytes.push(next.charCodeAt(0));
          i += 2;
        }
        lastEscaped = bytes.length;
        continue;
      }
      if ('"+;<>\u0000'.includes(c)) throw new Error(`unescaped ${JSON.stringify(c)} at ${i} of ${JSON.stringify(dn)}`);
      if (i === start && (c === ' ' || c === '#')) throw new Error(`unescaped leading ${JSON.stringify(c)} at ${i} of ${JSON.stringify(dn)}`);
      const cp = dn.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      bytes.push(...new TextEncoder().encode(ch));
      i += ch.length;
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x20 && lastEscaped !== bytes.length) {
      throw new Error(`unescaped trailing space before ${i} of ${JSON.stringify(dn)}`);
    }
    out.push({ type: t[1] ?? '', value: utf8.decode(new Uint8Array(bytes)) });
    if (i >= dn.length) return out;
    i++; // the ","
  }
}

/** One LDIF record: its DN and attribute values in order (names lower-cased). */
export interface LdifRecord {
  readonly dn: string;
  readonly attributes: readonly (readonly [string, string])[];
}

/**
 * A strict RFC 2849 reader: folded lines, `#` comments, `version: 1`, records separated by
 * empty lines; `name: value` only for a SAFE-STRING (no NUL, CR, LF, no leading space,
 * `:` or `<`, ASCII only), `name:: base64` that decodes to well-formed UTF-8. A `:<` URL value
 * is an error (chainmail never writes one; a reader would fetch the URL).
 */
export function parseLdifStrict(text: string): LdifRecord[] {
  if (text.includes('\r')) throw new Error('CR in an LDIF file');
  const physical = text.split('\n');
  if (physical.pop() !== '') throw new Error('LDIF does not end with a newline');
  const lines: string[] = [];
  for (const l of physical) {
    if (l.startsWith(' ')) {
      if (lines.length === 0 || lines[lines.length - 1] === '') throw new Error(`continuation without a line: ${JSON.stringify(l)}`);
      lines[lines.length - 1] += l.slice(1);
    } else lines.push(l);
  }
  const records: LdifRecord[] = [];
  let dn: string | undefined;
  let attrs: [string, string][] = [];
  let versionSeen = false;
  const flush = (): void => {
    if (dn !== undefined) records.push({ dn, attributes: attrs });
    dn = undefined;
    attrs = [];
  };
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (const line of lines) {
    if (line === '') {
      flush();
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([A-Za-z][A-Za-z0-9-]*(?:;[A-Za-z0-9-]+)*)(:{1,2}|:<)(.*)$/s.exec(line);
    if (!m) throw new Error(`not an LDIF line: ${JSON.stringify(line)}`);
    const name = (m[1] ?? '').toLowerCase();
    const sep = m[2];
    const rest = m[3] ?? '';
    let value: string;
    if (sep === ':<') throw new Error(`URL value in ${JSON.stringify(line)}`);
    if (sep === '::') {
      const b64 = rest.replace(/^ +/, '');
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) throw new Error(`bad base64 in ${JSON.stringify(line)}`);
      value = utf8.decode(Buffer.from(b64, 'base64'));
    } else {
      const v = rest.replace(/^ +/, '');
      if (v !== '' && !/^[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(v)) {
        throw new Error(`not a SAFE-STRING: ${JSON.stringify(line)}`);
      }
      value = v;
    }
    if (name === 'version' && dn === undefined && !versionSeen) {
      versionSeen = true;
      if (value !== '1') throw new Error(`version ${value}`);
      continue;
    }
    if (name === 'dn') {
      if (dn !== undefined) throw new Error(`second dn in one record: ${JSON.stringify(line)}`);
      dn = value;
      continue;
    }
    if (dn === undefined) throw new Error(`attribute before dn: ${JSON.stringify(line)}`);
    attrs.push([name, value]);
  }
  flush();
  return records;
}

/** A PowerShell token: code, a single- or double-quoted string, or a comment. */
export interface PsToken {
  readonly kind: 'code' | 'sq' | 'dq' | 'comment';
  /** The source text of the token. */
  readonly text: string;
  /** For `sq`: the decoded value. */
  readonly value?: string;
}

// about_Quoting_Rules: PowerShell treats the typographic quotes as quotes too
const SQ = "'\u2018\u2019\u201a\u201b";
const DQ = '"\u201c\u201d\u201e';

/**
 * Splits a PowerShell script into code, strings and comments, as the PowerShell tokenizer
 * does for the constructs chainmail writes: `#` line comments (at the start of a token),
 * `<# #>` block comments, verbatim strings in any single quote with a doubled quote for one,
 * expandable strings in any double quote with backtick escapes and doubled quotes.
 * An unterminated string or block comment is an error.
 */
export function psTokenize(script: string): PsToken[] {
  const out: PsToken[] = [];
  let code = '';
  const flush = (): void => {
    if (code !== '') out.push({ kind: 'code', text: code });
    code = '';
  };
  let i = script.startsWith('\uFEFF') ? 1 : 0;
  while (i < script.length) {
    const c = script[i] ?? '';
    const prev = i === 0 ? '\n' : (script[i - 1] ?? '');
    if (c === '<' && script[i + 1] === '#') {
      const end = script.indexOf('#>', i + 2);
      if (end === -1) throw new Error('unterminated block comment');
      flush();
      out.push({ kind: 'comment', text: script.slice(i, end + 2) });
      i = end + 2;
    } else if (c === '#' && /[\s(;{]/.test(prev)) {
      let end = script.indexOf('\n', i);
      if (end === -1) end = script.length;
      flush();
      out.push({ kind: 'comment', text: script.slice(i, end) });
      i = end;
    } else if (SQ.includes(c)) {
      flush();
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= script.length) throw new Error(`unterminated string at ${i}`);
        const d = script[j] ?? '';
        if (SQ.includes(d)) {
          if (j + 1 < script.length && SQ.includes(script[j + 1] ?? '')) {
            value += script[j + 1];
            j += 2;
            continue;
          }
          break;
        }
        value += d;
        j++;
      }
      out.push({ kind: 'sq', text: script.slice(i, j + 1), value });
      i = j + 1;
    } else if (DQ.includes(c)) {
      flush();
      let j = i + 1;
      for (;;) {
        if (j >= script.length) throw new Error(`unterminated string at ${i}`);
        const d = script[j] ?? '';
        if (d === '`') {
          j += 2;
          continue;
        }
        if (DQ.includes(d)) {
          if (j + 1 < script.length && DQ.includes(script[j + 1] ?? '')) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      out.push({ kind: 'dq', text: script.slice(i, j + 1) });
      i = j + 1;
    } else {
      code += c;
      i++;
    }
  }
  flush();
  return out;
}

/** The script with every verbatim string replaced by `'S'` and the comments removed: its code. */
export function psSkeleton(script: string): string {
  return psTokenize(script)
    .map((t) => (t.kind === 'sq' ? "'S'" : t.kind === 'comment' ? '' : t.text))
    .join('');
}

/**
 * The verbatim-string arguments of each command line: for each line whose code contains
 * `command`, the `-Param 'value'` pairs (one value, or several joined by a comma list).
 */
export function psCommandArgs(script: string, command: string): Map<string, string[]>[] {
  const lines: PsToken[][] = [[]];
  for (const t of psTokenize(script)) {
    if (t.kind === 'code' || t.kind === 'comment') {
      const parts = t.text.split('\n');
      parts.forEach((p, k) => {
        if (k > 0) lines.push([]);
        if (p !== '') lines[lines.length - 1]?.push({ kind: t.kind, text: p });
      });
    } else lines[lines.length - 1]?.push(t);
  }
  const out: Map<string, string[]>[] = [];
  for (const line of lines) {
    if (!line.some((t) => t.kind === 'code' && new RegExp(`(^|\\s)${command}(\\s|$)`).test(t.text))) continue;
    const args = new Map<string, string[]>();
    let param: string | undefined;
    for (const t of line) {
      if (t.kind === 'code') {
        const m = /-([A-Za-z]+)\s+$/.exec(t.text);
        if (m) param = m[1];
        else if (!/^\s*,\s*$/.test(t.text)) param = undefined;
      } else if (t.kind === 'sq' && param !== undefined) {
        args.set(param, [...(args.get(param) ?? []), t.value ?? '']);
      }
    }
    out.push(args);
  }
  return out;
}

/** A GFM table: its header cells and its rows' cells (raw cell text, trimmed). */
export interface MdTable {
  readonly line: number;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/**
 * Splits a GFM table row into cells: only a `|` that is not preceded by a backslash
 * separates cells (GFM spec 0.29 section 4.10: "It is possible to include a pipe in a cell's
 * content by escaping it"; cmark-gfm's scanner reads `\|` as an escaped pipe whatever comes
 * before it).
 */
export function mdCells(row: string): string[] {
  const t = row.trim();
  if (!t.startsWith('|') || !t.endsWith('|') || t.endsWith('\\|')) throw new Error(`not a table row: ${JSON.stringify(row)}`);
  const cells: string[] = [];
  let cur = '';
  for (let i = 1; i < t.length; i++) {
    const c = t[i];
    if (c === '|' && t[i - 1] !== '\\') {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  return cells;
}

/** Every table of a Markdown text (outside code fences): a header, a delimiter row, rows until a line that is no row. */
export function mdTables(text: string): MdTable[] {
  const lines = text.split('\n');
  const out: MdTable[] = [];
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (/^ {0,3}(```|~~~)/.test(l)) inFence = !inFence;
    if (inFence) continue;
    if (!/^\|.*\|\s*$/.test(l) || !/^\|(\s*:?-+:?\s*\|)+\s*$/.test(lines[i + 1] ?? '')) continue;
    const header = mdCells(l);
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && (lines[j] ?? '').trim() !== ''; j++) rows.push(mdCells(lines[j] ?? ''));
    out.push({ line: i + 1, header, rows });
    i = j;
  }
  return out;
}

/** The text of a code span (CommonMark 6.1) as written by a table cell: pipes unescaped, one space of padding stripped. */
export function mdCodeSpan(cell: string, inTable: boolean): string {
  const raw = inTable ? cell.replace(/\\\|/g, '|') : cell;
  const m = /^(`+)(.*?)\1$/s.exec(raw);
  if (!m) throw new Error(`not a code span: ${JSON.stringify(cell)}`);
  const body = m[2] ?? '';
  const fence = m[1] ?? '';
  if (body.includes(fence) && new RegExp(`(^|[^\`])${fence}([^\`]|$)`).test(body)) throw new Error(`code span closes early: ${JSON.stringify(cell)}`);
  return body.length >= 2 && body.startsWith(' ') && body.endsWith(' ') && body.trim() !== '' ? body.slice(1, -1) : body;
}
