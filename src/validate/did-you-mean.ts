/**
 * Edit distance with transpositions (optimal string alignment): "hots" is one edit from
 * "host", as a typist would count it.
 */
export function distance(a: string, b: string): number {
  if (a === b) return 0;
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++) {
    const row = d[i] as number[];
    const up = d[i - 1] as number[];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (d[i - 2]?.[j - 2] ?? 0) + 1);
      row[j] = v;
    }
  }
  return d[m]?.[n] ?? 0;
}

/** The closest candidate within a third of the word's length (case-insensitive), if any. */
export function didYouMean(word: string, candidateList: Iterable<string>): string | undefined {
  const candidates = [...candidateList];
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  // a typed prefix of a longer candidate ("warn" for "warning") is also a good guess
  if (bestD > limit && w.length >= 3) {
    const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(w));
    if (prefixed.length === 1) return prefixed[0];
  }
  return best !== undefined && bestD <= limit && bestD > 0 ? best : bestD === 0 && best !== word ? best : undefined;
}
