import type { Path } from '../diagnostics/diagnostic.js';

/**
 * Where a part of the merged file came from: the file and the path inside that file.
 *
 * @public
 */
export interface Origin {
  readonly file: string;
  readonly path: Path;
}

/**
 * Maps prefixes of merged-model paths to their origin, so a finding about
 * `['systems', 'unix', 'host']` points into the included file that defined `unix`.
 *
 * @public
 */
export class Origins {
  readonly #map = new Map<string, Origin>();
  /** {@link setItems}: by list, the runs of items one file added. */
  readonly #items = new Map<string, ItemRun[]>();

  set(mergedPath: Path, origin: Origin): void {
    this.#map.set(JSON.stringify(mergedPath), origin);
  }

  /**
   * Items `start` to `start + count - 1` of the merged list `list` are the items of the list
   * `list` of `file`, in order: one record per file and list, where a prefix per item
   * (100,000 contacts) made a path string and a map entry each (issue 19).
   */
  setItems(list: string, start: number, count: number, file: string): void {
    if (count <= 0) return;
    let runs = this.#items.get(list);
    if (!runs) this.#items.set(list, (runs = []));
    runs.push({ start, end: start + count, file });
  }

  /** The origin of the longest registered prefix, with the rest of the path appended. */
  resolve(path: Path): Origin | undefined {
    for (let k = path.length; k >= 0; k--) {
      const hit = this.#map.get(JSON.stringify(path.slice(0, k)));
      if (hit) return { file: hit.file, path: [...hit.path, ...path.slice(k)] };
      if (k === 2) {
        const [list, i] = path;
        if (typeof list === 'string' && typeof i === 'number') {
          const run = this.#items.get(list)?.find((r) => i >= r.start && i < r.end);
          if (run) return { file: run.file, path: [list, i - run.start, ...path.slice(2)] };
        }
      }
    }
    return undefined;
  }
}

interface ItemRun {
  readonly start: number;
  readonly end: number;
  readonly file: string;
}
