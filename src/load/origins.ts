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

  set(mergedPath: Path, origin: Origin): void {
    this.#map.set(JSON.stringify(mergedPath), origin);
  }

  /** The origin of the longest registered prefix, with the rest of the path appended. */
  resolve(path: Path): Origin | undefined {
    for (let k = path.length; k >= 0; k--) {
      const hit = this.#map.get(JSON.stringify(path.slice(0, k)));
      if (hit) return { file: hit.file, path: [...hit.path, ...path.slice(k)] };
    }
    return undefined;
  }
}
