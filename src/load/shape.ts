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
  let flow = 0;
  let block = 0;
  // the last character that is not a blank: a node (collection, quoted scalar) may start after it
  let prev = '\n';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\r') continue;
    if (c === '\n') {
      block = 0;
      prev = c;
      continue;
    }
    const nodeStart = prev === '\n' || flow > 0 || ':-?[{,'.includes(prev);
    if (c === '#' && /[\s]/.test(text[i - 1] ?? '\n')) {
      const nl = text.indexOf('\n', i);
      i = (nl === -1 ? text.length : nl) - 1;
      continue;
    }
    if ((c === '"' || c === "'") && nodeStart) {
      // a quoted scalar: skip to its end ('' and \x are the escapes); it may span lines
      let j = i + 1;
      while (j < text.length) {
        const d = text[j];
        if (c === '"' && d === '\\') j += 2;
        else if (d === c && c === "'" && text[j + 1] === "'") j += 2;
        else if (d === c) break;
        else j++;
      }
      i = j;
      prev = c;
      continue;
    }
    const next = text[i + 1] ?? '\n';
    // an indicator counts only where it is one; inside a plain scalar ("a[b", "a-b", "a:b",
    // "a,b" in block context) it is text, and the next character starts no node either
    let indicator = false;
    if ((c === '[' || c === '{') && nodeStart) {
      flow++;
      indicator = true;
    } else if ((c === ']' || c === '}') && flow > 0) {
      flow--;
      indicator = true;
    } else if ((c === '-' || c === '?') && flow === 0 && nodeStart && /\s/.test(next)) {
      block++;
      indicator = true;
    } else if (c === ':') indicator = /\s/.test(next) || (flow > 0 && ',[]{}'.includes(next));
    else if (c === ',') indicator = flow > 0;
    if (flow + block > guard) return i;
    prev = indicator ? c : 'a';
  }
  return -1;
}

// a UTF-16 code unit of a surrogate pair that is not part of a pair
const LONE_SURROGATE = /\p{Cs}/u;

/** What is wrong with a parsed YAML value: nested too deep, or a string with a lone surrogate. */
export type ValueProblem = { readonly kind: 'depth' } | { readonly kind: 'surrogate'; readonly value: string };

/**
 * Walks a parsed value without recursion: collections nested deeper than `maxDepth`
 * (the top-level mapping is level 1), or a string or key holding a lone surrogate, which a
 * YAML escape such as `"\ud800"` produces: it is no character, so no artifact can hold it
 * (UTF-8 writers turn it into U+FFFD, silently changing the value).
 */
export function valueProblem(value: unknown, maxDepth: number): ValueProblem | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return { kind: 'surrogate', value: v };
    } else if (typeof v === 'object' && v !== null) {
      if (depth + 1 > maxDepth) return { kind: 'depth' };
      if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
      else
        for (const [k, x] of Object.entries(v)) {
          if (LONE_SURROGATE.test(k)) return { kind: 'surrogate', value: k };
          stack.push([x, depth + 1]);
        }
    }
  }
  return undefined;
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
