import { isCollection, isPair, type Document } from 'yaml';

/**
 * Checks on the shape of a YAML file that a hostile pull request controls: how deep its
 * collections nest, whether a string escape produced half a character, how many objects
 * the merged file holds. The limits are in LIMITS (load.ts) and docs/limits.md.
 */

/**
 * A cheap guard that runs before any parser: the offset at which flow collections (`[`,
 * `{`) and block indicators on one line (`- - - x`) nest more than `guard` levels, or -1.
 * One 16 MiB line of `[[[[...` is 8 million levels, which the `yaml` parser builds in
 * gigabytes before its composer gives up (and js-yaml recurses into a stack overflow); this
 * scan is linear and stops at the first excess. It is deliberately rough (it knows quotes,
 * comments and where a node may start, not block scalars or plain-scalar continuation
 * lines), so `guard` is set well above the real limit, which {@link valueProblem} checks
 * exactly on the parsed value.
 */
export function nestingGuardOffset(text: string, guard: number): number {
  // character codes, not one-character strings: this reads every character of a 16 MiB file
  let flow = 0;
  let block = 0;
  // the last character that is not a blank: a node (collection, quoted scalar) may start after it
  let prev = LF;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || SPECIAL[c] === 0) {
      // text of a plain scalar or a key (or a blank beyond ASCII, which the scan has always
      // treated as text): no indicator, and no node starts after it
      prev = A;
      continue;
    }
    if (c === SP || c === TAB || c === CR) continue;
    if (c === LF) {
      block = 0;
      prev = c;
      continue;
    }
    const nodeStart = prev === LF || flow > 0 || NODE_BEFORE[prev] === 1;
    if (c === HASH && (i === 0 || isSpace(text.charCodeAt(i - 1)))) {
      const nl = text.indexOf('\n', i);
      i = (nl === -1 ? n : nl) - 1;
      continue;
    }
    if ((c === DQUOTE || c === SQUOTE) && nodeStart) {
      // a quoted scalar: skip to its end ('' and \x are the escapes); it may span lines
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (c === DQUOTE && d === BACKSLASH) j += 2;
        else if (d === c && c === SQUOTE && text.charCodeAt(j + 1) === SQUOTE) j += 2;
        else if (d === c) break;
        else j++;
      }
      i = j;
      prev = c;
      continue;
    }
    const next = i + 1 < n ? text.charCodeAt(i + 1) : LF;
    // an indicator counts only where it is one; inside a plain scalar ("a[b", "a-b", "a:b",
    // "a,b" in block context) it is text, and the next character starts no node either
    let indicator = false;
    if ((c === LBRACKET || c === LBRACE) && nodeStart) {
      flow++;
      indicator = true;
    } else if ((c === RBRACKET || c === RBRACE) && flow > 0) {
      flow--;
      indicator = true;
    } else if ((c === DASH || c === QUESTION) && flow === 0 && nodeStart && isSpace(next)) {
      block++;
      indicator = true;
    } else if (c === COLON) indicator = isSpace(next) || (flow > 0 && FLOW_AFTER_COLON[next] === 1);
    else if (c === COMMA) indicator = flow > 0;
    if (flow + block > guard) return i;
    prev = indicator ? c : A;
  }
  return -1;
}

const [SP, TAB, CR, LF, HASH, DQUOTE, SQUOTE, BACKSLASH] = [0x20, 0x09, 0x0d, 0x0a, 0x23, 0x22, 0x27, 0x5c];
const [LBRACKET, LBRACE, RBRACKET, RBRACE, DASH, QUESTION, COLON, COMMA] = [0x5b, 0x7b, 0x5d, 0x7d, 0x2d, 0x3f, 0x3a, 0x2c];
/** Stands for any character that starts no node after it. */
const A = 0x61;
/** ASCII characters the scan looks at (everything else is scalar text). */
const SPECIAL = codeTable(' \t\r\n#"\'[{]}-?:,');
/** After these (as indicators) a node may start: ':-?[{,'. */
const NODE_BEFORE = codeTable(':-?[{,');
/** After a ":" in flow context, these make it an indicator. */
const FLOW_AFTER_COLON = codeTable(',[]{}');

function codeTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** What /\s/ matches (ECMAScript WhiteSpace and LineTerminator), by character code. */
function isSpace(c: number): boolean {
  if (c < 128) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

// a UTF-16 code unit of a surrogate pair that is not part of a pair
const LONE_SURROGATE = /\p{Cs}/u;

/** What is wrong with a parsed YAML value: nested too deep, or a string with a lone surrogate. */
export type ValueProblem = { readonly kind: 'depth' } | { readonly kind: 'surrogate'; readonly value: string };

/**
 * Walks a parsed value without recursion: collections nested deeper than `maxDepth`
 * (the top-level mapping is level 1), or a string or key holding a lone surrogate, which a
 * YAML escape such as `"\ud800"` produces: it is no character, so no artifact can hold it
 * (UTF-8 writers turn it into U+FFFD, silently changing the value). `strings: false` skips
 * the strings: text decoded from valid UTF-8 without a `\u` or `\U` escape has no lone
 * surrogate (see {@link mayHoldSurrogateEscape}).
 */
export function valueProblem(value: unknown, maxDepth: number, strings = true): ValueProblem | undefined {
  // two parallel stacks, not a [value, depth] pair per node (a 100,000-recipient file has
  // a few hundred thousand nodes)
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop() as number;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return { kind: 'surrogate', value: v };
    } else if (typeof v === 'object' && v !== null) {
      if (depth + 1 > maxDepth) return { kind: 'depth' };
      if (Array.isArray(v)) {
        for (const x of v as unknown[]) {
          if (!strings && (typeof x !== 'object' || x === null)) continue;
          values.push(x);
          depths.push(depth + 1);
        }
      } else {
        const o = v as Record<string, unknown>;
        for (const k of Object.keys(o)) {
          if (strings && LONE_SURROGATE.test(k)) return { kind: 'surrogate', value: k };
          const x = o[k];
          if (!strings && (typeof x !== 'object' || x === null)) continue;
          values.push(x);
          depths.push(depth + 1);
        }
      }
    }
  }
  return undefined;
}

/** Whether a YAML text has an escape that could write a lone surrogate (`\u` or `\U`; a cheap over-approximation). */
export function mayHoldSurrogateEscape(text: string): boolean {
  return text.includes('\\u') || text.includes('\\U');
}

/** Offset of the first collection nested deeper than `maxDepth` in a parsed document, or 0. */
export function deepNodeOffset(doc: Document.Parsed | undefined, maxDepth: number): number {
  if (!doc || doc.errors.length > 0) return 0;
  const stack: [unknown, number][] = [[doc.contents, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (!isCollection(node)) continue;
    if (depth + 1 > maxDepth) return node.range?.[0] ?? 0;
    for (const item of node.items) {
      if (isPair(item)) stack.push([item.key, depth + 1], [item.value, depth + 1]);
      else stack.push([item, depth + 1]);
    }
  }
  return 0;
}

/** Offset of the first escape in the text that writes a lone surrogate (`\ud800`, `\U0000DC00`), or 0. */
export function surrogateEscapeOffset(text: string): number {
  const re = /\\(?:u|U0000)([dD][89a-fA-F][0-9a-fA-F]{2})(?:\\(?:u|U0000)([dD][c-fC-F][0-9a-fA-F]{2}))?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const high = /^[dD][89abAB]/.test(m[1] ?? '');
    if (!high || m[2] === undefined) return m.index;
  }
  return 0;
}

/**
 * The objects of a merged file: domains, systems, policies, connectors, chains, contacts,
 * tests, mailboxes with their aliases, and mailbox-file addresses. Counted before any rule
 * runs, so that no rule ever sees more than LIMITS.maxObjects.
 */
export function countObjects(merged: Record<string, unknown>, mailboxFileLines: number): number {
  let n = mailboxFileLines;
  for (const key of ['domains', 'systems', 'policies', 'connectors', 'chains', 'contacts', 'tests']) {
    const v = merged[key];
    if (Array.isArray(v)) n += v.length;
    else if (typeof v === 'object' && v !== null) n += Object.keys(v).length;
  }
  const systems = merged['systems'];
  if (typeof systems === 'object' && systems !== null && !Array.isArray(systems)) {
    for (const s of Object.values(systems)) {
      const mailboxes = (s as { mailboxes?: unknown } | null)?.mailboxes;
      if (!Array.isArray(mailboxes)) continue;
      n += mailboxes.length;
      for (const m of mailboxes) {
        const aliases = (m as { aliases?: unknown } | null)?.aliases;
        if (Array.isArray(aliases)) n += aliases.length;
      }
    }
  }
  return n;
}
