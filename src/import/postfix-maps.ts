/**
 * Readers for the text files of a running Postfix: postmap(1) source files ("key
 * whitespace value", the files `postmap` compiles into .db/.lmdb) and main.cf (postconf(5)).
 * Pure: text in, entries out, every entry with its file and line; problems collected.
 */

/** A problem with one line of an input file: `file:line: message`. */
export interface ImportProblem {
  readonly file: string;
  /** 1-based; 0 when the problem concerns the whole file. */
  readonly line: number;
  readonly message: string;
}

/**
 * Where a value came from.
 *
 * @public
 */
export interface Origin {
  readonly file: string;
  readonly line: number;
}

/** One entry of a postmap source file. */
export interface MapEntry extends Origin {
  readonly key: string;
  /** The rest of the logical line, trimmed; empty when the line holds a key only. */
  readonly value: string;
}

/** `file:line: message` (or `file: message` for the whole file). */
export function problemText(p: ImportProblem): string {
  return `${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.message}`;
}

/**
 * The logical lines of a Postfix text file: "#" as the first non-blank character starts a
 * comment line, blank lines are skipped, and a line that starts with whitespace continues
 * the previous logical line (postmap(1) "INPUT FILE FORMAT", postconf(5) syntax). Each
 * logical line is reported at its first physical line.
 */
export function logicalLines(text: string, file: string, problems: ImportProblem[]): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  physical.forEach((raw, i) => {
    const line = i + 1;
    if (raw.includes('\uFFFD')) problems.push({ file, line, message: 'is not valid UTF-8 text; save the file as UTF-8' });
    if (raw.includes('\u0000')) problems.push({ file, line, message: 'contains a NUL byte: is this the .db file? name the text source file' });
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (/^\s/.test(raw)) {
      const prev = out[out.length - 1];
      if (prev) prev.text = `${prev.text} ${trimmed}`;
      else problems.push({ file, line, message: 'starts with whitespace, which continues a previous line, but there is none' });
      return;
    }
    out.push({ text: trimmed, line });
  });
  return out;
}

/**
 * The entries of a postmap(1) source file. `needsValue`: a key without a value is an error
 * (postmap says "expected format: key whitespace value"); relay_domains and
 * relay_recipients may also be plain lists, so there a lone key is fine. Keys are folded to
 * lower case, as postmap does without -f.
 */
export function parseMap(text: string, file: string, needsValue: boolean, problems: ImportProblem[]): MapEntry[] {
  const out: MapEntry[] = [];
  for (const l of logicalLines(text, file, problems)) {
    const m = /^(\S+)(?:\s+(.*))?$/.exec(l.text);
    const key = m?.[1] ?? '';
    const value = (m?.[2] ?? '').trim();
    if (needsValue && value === '') {
      problems.push({ file, line: l.line, message: `${JSON.stringify(key)} has no value: expected "key whitespace value" (postmap(1))` });
      continue;
    }
    out.push({ key: key.toLowerCase(), value, file, line: l.line });
  }
  return out;
}

/** One main.cf parameter as written (the last definition wins, as in Postfix). */
export interface MainCfParam extends Origin {
  readonly value: string;
}

/** The parameters of a main.cf file: `name = value` logical lines (postconf(5)). */
export function parseMainCf(text: string, file: string, problems: ImportProblem[]): Map<string, MainCfParam> {
  const out = new Map<string, MainCfParam>();
  for (const l of logicalLines(text, file, problems)) {
    const m = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(l.text);
    if (!m) {
      problems.push({ file, line: l.line, message: 'expected "name = value" (postconf(5))' });
      continue;
    }
    out.set(m[1] ?? '', { value: (m[2] ?? '').trim(), file, line: l.line });
  }
  return out;
}

/**
 * A parameter's value with `$name`, `${name}` and `$(name)` expanded from the other
 * parameters of the same file (postconf(5) "$name"); names the file does not define are
 * returned in `unknown` and expand to nothing.
 */
export function expand(params: ReadonlyMap<string, MainCfParam>, name: string): { value: string; unknown: string[] } {
  const unknown: string[] = [];
  const walk = (n: string, depth: number): string => {
    const p = params.get(n);
    if (!p) return '';
    if (depth > 20) return p.value;
    return p.value.replace(/\$(?:\{([A-Za-z0-9_]+)\}|\(([A-Za-z0-9_]+)\)|([A-Za-z0-9_]+))/g, (_m, a?: string, b?: string, c?: string) => {
      const ref = a ?? b ?? c ?? '';
      if (!params.has(ref)) {
        unknown.push(ref);
        return '';
      }
      return walk(ref, depth + 1);
    });
  };
  return { value: walk(name, 0), unknown };
}

/** One element of a list-valued parameter: a lookup table, a file of patterns, or a plain value. */
export type ListItem =
  | { readonly kind: 'table'; readonly type: string; readonly name: string; readonly raw: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'value'; readonly value: string };

/**
 * Splits a list-valued parameter (relay_domains, transport_maps, ...): elements separated
 * by commas and/or whitespace, `{ ... }` kept whole (inline: tables). `type:name` is a
 * lookup table (`proxy:` stripped), `/path` a file of patterns, anything else a value.
 */
export function listItems(value: string): ListItem[] {
  const items: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of value) {
    if (ch === '{') depth++;
    if (ch === '}') depth = Math.max(0, depth - 1);
    if (depth === 0 && /[\s,]/.test(ch)) {
      if (cur) items.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) items.push(cur);
  return items.map((raw) => {
    if (raw.startsWith('/')) return { kind: 'file', path: raw };
    const m = /^([a-z0-9_]+):(.+)$/.exec(raw);
    if (!m) return { kind: 'value', value: raw };
    let type = m[1] ?? '';
    let name = m[2] ?? '';
    // proxy:hash:/etc/postfix/x reads hash:/etc/postfix/x through proxymap(8)
    const inner = type === 'proxy' ? /^([a-z0-9_]+):(.+)$/.exec(name) : null;
    if (inner) {
      type = inner[1] ?? '';
      name = inner[2] ?? '';
    }
    return { kind: 'table', type, name, raw };
  });
}

/** Table types whose source is a postmap(1) text file at the table's name (postmap -s aside). */
export const INDEXED_TYPES = new Set(['hash', 'btree', 'lmdb', 'cdb', 'dbm', 'sdbm', 'texthash']);
