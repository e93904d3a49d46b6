import { isAlias, isMap, isPair, isScalar, isSeq, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';

/**
 * YAML anchors, aliases and merge keys (`<<: *anchor`, `<<: [*a, *b]`) in a parsed `yaml`
 * Document, for the loader (which checks merge values before the library expands them) and
 * the locator (which follows a model path into the anchor a value came from).
 *
 * Merge semantics are those of the YAML 1.1 merge type (https://yaml.org/type/merge.html),
 * which the `yaml` library implements with its `merge: true` option: a key written in the
 * mapping itself wins over a merged one; of several merged mappings the earlier wins.
 */

const targets = new WeakMap<Document, Map<Node, Node>>();

/**
 * The node an alias stands for: the last node with its anchor before it (YAML 1.2 section
 * 3.2.2.2), found with one pass over the document that is kept for later lookups (the
 * library's own `Alias#resolve` walks the whole document on every call).
 */
export function aliasTarget(doc: Document, node: unknown): Node | undefined {
  if (!isAlias(node)) return undefined;
  let map = targets.get(doc);
  if (!map) {
    const built = new Map<Node, Node>();
    const anchors = new Map<string, Node>();
    visit(doc, {
      Node: (_key, n) => {
        // document order, as the library's own resolve() (a collection comes before its items)
        if (isAlias(n)) {
          const found = anchors.get(n.source);
          if (found) built.set(n, found);
        } else if (n.anchor) anchors.set(n.anchor, n);
      },
    });
    map = built;
    targets.set(doc, map);
  }
  return map.get(node);
}

/** The node itself, or the node an alias stands for. */
export function resolved(doc: Document, node: unknown): unknown {
  return isAlias(node) ? aliasTarget(doc, node) : node;
}

/** Whether a pair's key is the merge key `<<` (a plain scalar; with `merge: true` its value is a Symbol). */
export function isMergePair(pair: unknown): boolean {
  if (!isPair(pair) || !isScalar(pair.key)) return false;
  const v = pair.key.value;
  return (typeof v === 'symbol' && v.description === '<<') || (v === '<<' && (!pair.key.type || pair.key.type === 'PLAIN'));
}

/** One mapping a merge key brings in, and the node written after `<<` that names it (an alias or the mapping itself). */
export interface MergeSource {
  readonly map: YAMLMap;
  readonly via: Node;
}

/**
 * The mappings a `<<` value merges, in the order they take effect, or the first node that is
 * not a mapping (which the library would refuse with "Merge sources must be maps").
 */
export function mergeSources(doc: Document, value: unknown): { sources: MergeSource[]; bad?: Node } {
  const sources: MergeSource[] = [];
  const top = resolved(doc, value);
  const items: unknown[] = isSeq(top) ? top.items : [value];
  for (const item of items) {
    const target = resolved(doc, item);
    if (!isMap(target)) return { sources, bad: (item ?? value) as Node };
    sources.push({ map: target, via: item as Node });
  }
  return { sources };
}

/**
 * The pair of `key` in a mapping as the merged value has it: the mapping's own pair, else
 * the first merged mapping's (recursively); `via` is the node after this mapping's `<<`
 * that led to it (undefined for its own pair).
 */
export function findPair(doc: Document, map: YAMLMap, key: string, seen = new Set<YAMLMap>()): { pair: Pair; via?: Node } | undefined {
  if (seen.has(map)) return undefined;
  seen.add(map);
  const own = map.items.find((p) => !isMergePair(p) && isScalar(p.key) && String(p.key.value) === key);
  if (own) return { pair: own };
  for (const p of map.items) {
    if (!isMergePair(p)) continue;
    for (const s of mergeSources(doc, p.value).sources) {
      const hit = findPair(doc, s.map, key, seen);
      // `via` is the merge written in this mapping, the one a reader of it sees
      if (hit) return { pair: hit.pair, via: s.via };
    }
  }
  return undefined;
}
