import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { Diagnostic, Finding, Path, RelatedLocation, Severity, Span, Target } from './diagnostic.js';
import type { SourceStore } from './source-store.js';

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
    if ('span' in target) return target.span;
    const origin = this.origins.resolve(target.path) ?? { file: this.mainFile, path: target.path };
    const doc = this.sources.get(origin.file)?.doc;
    if (!doc) return { file: origin.file, start: 0, end: 0 };
    let node: unknown = doc.contents;
    let best: [number, number] | undefined = rangeOf(node);
    const path = origin.path;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyString(p.key) === String(seg));
        if (!pair) break;
        const keyRange = rangeOf(pair.key);
        if (last && target.key && keyRange) return { file: origin.file, start: keyRange[0], end: keyRange[1] };
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
    if (!best) return { file: origin.file, start: 0, end: 0 };
    // block collections end after their last newline; a span ends at the last visible character
    const text = this.sources.get(origin.file)?.text ?? '';
    let end = best[1];
    while (end > best[0] && /\s/.test(text.charAt(end - 1))) end--;
    return { file: origin.file, start: best[0], end };
  }

  locate(finding: Finding, severity: Severity): Diagnostic {
    const s = this.span(finding.at);
    const related: RelatedLocation[] = (finding.related ?? []).map((r) => ({ message: r.message, ...this.lines(this.span(r.at)) }));
    return {
      ruleId: finding.ruleId,
      severity,
      message: finding.message,
      ...this.lines(s),
      related,
      ...(finding.fix ? { fix: finding.fix } : {}),
      ...(finding.data ? { data: finding.data } : {}),
    };
  }

  lines(s: Span): { file: string; line: number; column: number; endLine: number; endColumn: number } {
    const a = this.sources.position(s.file, s.start);
    const b = this.sources.position(s.file, Math.max(s.end, s.start));
    return { file: s.file, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }
}

function keyString(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
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
