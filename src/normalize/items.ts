/**
 * Maps a list's items, skipping the holes the validate stage left (a list item that does not
 * fit the schema becomes a hole, so later items keep their paths); `j` is the item's index in
 * the file.
 */
export function items<T, U>(list: readonly (T | undefined | null)[] | undefined, f: (item: T, j: number) => U): U[] {
  const out: U[] = [];
  (list ?? []).forEach((item, j) => {
    if (item !== undefined && item !== null) out.push(f(item, j));
  });
  return out;
}
