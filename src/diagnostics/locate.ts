import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { Diagnostic, Finding, Path, RelatedLocation, Severity, Span, Target } from './diagnostic.js';
import type { SourceStore } from './source-store.js';
import { findPair, resolved } from './yaml-merge.js';

/**
 * Where a path of the merged model came from (src/load/origins.ts `Origins` is one): the
 * diagnostics stage asks only this, so it does not import the load stage that uses it.
 *
 * @public
 */
export interface PathOrigins {
  resolve(path: Path): { readonly file: string; readonly path: Path } | undefined;
}

/**
 * Turns finding targets into source spans: the single place where model paths become
 * positions. A path that does not exist falls back to its closest existing ancestor.
 *
 * @public
 */
export class Locator {
  constructor(
    private readonly sources: SourceStore,
    private readonly origins: PathOrigins,
    private readonly mainFile: string,
  ) {}

  span(target: Target): Span {
    return this.trace(target).span;
  }

  /**
   * The span of a target and, when the walk left the object the path names through a YAML
   * alias or merge key (`<<: *anchor`), the node that led there (`via`): the value then
   * came from the anchor, and the span points at the anchor's source.
   */
  trace(target: Target): { span: Span; via?: Span } {
    if ('span' in target) return { span: target.span };
    const origin = this.origins.resolve(target.path) ?? { file: this.mainFile, path: target.path };
    const doc = this.sources.get(origin.file)?.doc;
    if (!doc) return { span: { file: origin.file, start: 0, end: 0 } };
    let node: unknown = doc.contents;
    let best: [number, number] | undefined = rangeOf(node);
    let via: [number, number] | undefined;
    const follow = (n: unknown): unknown => {
      const r = resolved(doc, n);
      if (r !== n) via ??= rangeOf(n);
      return r;
    };
    const path = origin.path;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      node = follow(node);
      if (isMap(node)) {
        const hit = findPair(doc, node, String(seg));
        if (!hit) break;
        if (hit.via) via ??= rangeOf(hit.via);
        const pair = hit.pair;
        const keyRange = rangeOf(pair.key);
        if (last && target.key && keyRange) return this.#traced(origin.file, keyRange, via);
        node = pair.value;
        best = rangeOf(pair.value) ?? keyRange ?? best;
        if (pair.value === null || (isScalar(pair.value) && pair.value.value === null && keyRange)) {
          best = keyRange ?? best;
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) break;
        node = item;
        best = rangeOf(item) ?? best;
      } else {
        break;
      }
    }
    if (!best) return { span: { file: origin.file, start: 0, end: 0 } };
    // block collections end after their last newline; a span ends at the last visible character
    const text = this.sources.get(origin.file)?.text ?? '';
    let end = best[1];
    while (end > best[0] && /\s/.test(text.charAt(end - 1))) end--;
    return this.#traced(origin.file, [best[0], end], via);
  }

  #traced(file: string, r: [number, number], via: [number, number] | undefined): { span: Span; via?: Span } {
    return { span: { file, start: r[0], end: r[1] }, ...(via ? { via: { file, start: via[0], end: via[1] } } : {}) };
  }

  locate(finding: Finding, severity: Severity): Diagnostic {
    return this.locateTraced(finding, severity).diagnostic;
  }

  /** `locate()`, and where the value was reached through an alias or merge key (see `trace()`). */
  locateTraced(finding: Finding, severity: Severity): { diagnostic: Diagnostic; via?: Span } {
    const t = this.trace(finding.at);
    const related: RelatedLocation[] = (finding.related ?? []).map((r) => ({ message: r.message, ...this.lines(this.span(r.at)) }));
    const diagnostic: Diagnostic = {
      ruleId: finding.ruleId,
      severity,
      message: finding.message,
      ...this.lines(t.span),
      related,
      ...(finding.fix ? { fix: finding.fix } : {}),
      ...(finding.data ? { data: finding.data } : {}),
    };
    return t.via ? { diagnostic, via: t.via } : { diagnostic };
  }

  lines(s: Span): { file: string; line: number; column: number; endLine: number; endColumn: number } {
    const a = this.sources.position(s.file, s.start);
    const b = this.sources.position(s.file, Math.max(s.end, s.start));
    return { file: s.file, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }
}

function rangeOf(node: unknown): [number, number] | undefined {
  const r = (node as Node | null | undefined)?.range;
  if (!r) return undefined;
  // range[1] is the end of the value; range[2] includes trailing comments
  return [r[0], r[1]];
}

/** Paths helper for rules: `at(['systems', name])`. */
export function at(path: Path, key = false): Target {
  return key ? { path, key: true } : { path };
}
