/**
 * Unicode full case folding as Postfix does it for table lookups with
 * `smtputf8_enable = yes`: util/casefold.c folds every lookup key (and every key postmap(1)
 * stores) with ICU's `ucasemap_utf8FoldCase(..., U_FOLD_CASE_DEFAULT)`, the C + F mappings
 * of Unicode CaseFolding.txt, without normalisation. So `Straße`, `STRASSE` and `strasse`
 * are one key, the final `ς` is `σ`, the Kelvin sign K is `k`, `İ` is `i` + U+0307, but
 * the dotless `ı` stays apart from `i` (that is the Turkic T mapping, which the default
 * leaves out) and a decomposed `é` (e + U+0301) stays apart from the composed one.
 * Checked against the real postmap(1) for every cased code point (test/build/casefold.test.ts).
 *
 * JavaScript has no case folding; per code point, lower(upper(lower(c))) is the full
 * folding except for the cases below (Unicode's folding is defined to be that stable
 * closure, with these documented exceptions).
 */
export function foldCase(s: string): string {
  // the common case: ASCII folds to its lower case
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(s)) return s.toLowerCase();
  let out = '';
  for (const ch of s) out += foldChar(ch);
  return out;
}

/** Whether `s` is already folded (its own comparison form). */
export function isFolded(s: string): boolean {
  // the common case, without building the folded copy: ASCII without a capital letter
  if (!/[A-Z\u0080-\uffff]/.test(s)) return true;
  return foldCase(s) === s;
}

const cache = new Map<string, string>();

function foldChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x80) return ch.toLowerCase();
  let f = cache.get(ch);
  if (f === undefined) {
    f = foldUncached(ch, code);
    // bounded by the code points there are that change at all (a few thousand)
    if (cache.size < 20_000) cache.set(ch, f);
  }
  return f;
}

function foldUncached(ch: string, code: number): string {
  // U+0131 dotless i has no default folding (CaseFolding.txt status T only)
  if (code === 0x131) return ch;
  // Cherokee folds to the capital letters (CaseFolding.txt: 13F8-13FD, AB70-ABBF -> 13A0-13F5)
  if ((code >= 0x13f8 && code <= 0x13fd) || (code >= 0xab70 && code <= 0xabbf)) return ch.toUpperCase();
  if (code >= 0x13a0 && code <= 0x13f5) return ch;
  const once = ch.toLowerCase().toUpperCase().toLowerCase();
  // a character whose upper case folds to something that folds further (e.g. U+1E9E -> ß -> ss)
  return once.length === ch.length ? once : [...once].map((c) => (c === ch ? c : foldChar(c))).join('');
}
