import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Path } from '../diagnostics/diagnostic.js';

/**
 * Lists whose positions carry meaning beyond their items: a chain's forwarding order (the
 * last system is the authoritative one) and a connector's bridgeheads, which later stages
 * address by index. Leaving one item out would shift the others, so the whole list goes
 * (and with it its object, since both lists are required).
 */
const WHOLE_LISTS: readonly (readonly string[])[] = [
  ['chains', '*', 'order'],
  ['connectors', '*', 'system'],
];

/** The document without what failed the schema, and the paths left out (in its own indexes). */
export interface Pruned {
  readonly value: Record<string, unknown>;
  readonly removed: readonly Path[];
}

/**
 * What one schema error leaves out (house style, "Diagnostics": the damage confined as
 * narrowly as it can be): an unknown key or a bad name is ignored by itself; otherwise the
 * value that failed, which later stages could not use. Undefined for the document itself.
 */
export function target(e: ErrorObject, path: Path): Path | undefined {
  const p = e.params as Record<string, unknown>;
  let out = path;
  if (e.keyword === 'additionalProperties') out = [...path, String(p['additionalProperty'])];
  else if (e.keyword === 'propertyNames') out = [...path, String(p['propertyName'])];
  for (const list of WHOLE_LISTS) {
    if (out.length > list.length && list.every((s, i) => s === '*' || s === out[i])) out = out.slice(0, list.length);
  }
  return out.length === 0 ? undefined : out;
}

/**
 * Leaves out the targets of the first validation's errors, then validates again: a value
 * that was required by its object (a system's `host`, a connector's `to` without
 * `smartHosts`, the last item of a list that needs one) now fails its object, which goes
 * in turn. Each round removes at least one value, so it ends. List items become holes, so
 * the paths of findings from later stages keep the indexes of the file.
 */
export function prune(config: Record<string, unknown>, first: readonly Path[], validator: ValidateFunction, explain: (errors: readonly ErrorObject[]) => ErrorObject[]): Pruned {
  const doc = structuredClone(config);
  const removed: Path[] = [];
  let targets = first;
  for (;;) {
    let progress = false;
    for (const t of targets) {
      if (removeAt(doc, t)) {
        removed.push(t);
        progress = true;
      }
    }
    if (!progress) break;
    const { view, original } = compact(doc);
    if (validator(view)) break;
    targets = explain(validator.errors ?? [])
      .map((e) => target(e, original(pointerToPath(e.instancePath))))
      .filter((t): t is Path => t !== undefined);
  }
  return { value: doc, removed };
}

/** Deletes an object's key, or turns a list item into a hole; false when nothing is there. */
function removeAt(doc: unknown, path: Path): boolean {
  let parent: unknown = doc;
  for (const s of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return false;
    parent = (parent as Record<string | number, unknown>)[s];
  }
  const last = path[path.length - 1];
  if (last === undefined || parent === null || typeof parent !== 'object') return false;
  if (Array.isArray(parent)) {
    if (typeof last !== 'number' || parent[last] === undefined) return false;
    parent[last] = undefined;
    return true;
  }
  if (!Object.hasOwn(parent, last)) return false;
  delete (parent as Record<string | number, unknown>)[last];
  return true;
}

/**
 * The document as the schema sees it after removals: holes dropped, so `minItems` counts
 * what is left; `original` maps a path in the view back to the document's indexes.
 */
function compact(doc: unknown): { view: unknown; original: (path: Path) => Path } {
  const indexes = new WeakMap<object, number[]>();
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const kept: number[] = [];
      const out: unknown[] = [];
      v.forEach((x: unknown, i) => {
        if (x === undefined) return;
        kept.push(i);
        out.push(copy(x));
      });
      indexes.set(out, kept);
      return out;
    }
    // Object.fromEntries defines own properties: a "__proto__" key stays a key
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
    return v;
  };
  const view = copy(doc);
  const original = (path: Path): Path => {
    let node: unknown = view;
    return path.map((s) => {
      const kept = Array.isArray(node) && typeof s === 'number' ? indexes.get(node)?.[s] : undefined;
      node = (node as Record<string | number, unknown> | undefined)?.[s];
      return kept ?? s;
    });
  };
  return { view, original };
}

/** A JSON pointer (ajv's instancePath) as a path; list indexes become numbers. */
export function pointerToPath(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}
