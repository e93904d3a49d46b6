import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, type Stats } from 'node:fs';
import { dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';

/**
 * The containment boundary: every file chainmail reads because a file said so (includes,
 * mailbox files) must be a regular file inside the repository of the main file (its git top
 * level, or its directory outside git) or under a directory the operator allowed with
 * `--allow-path`. The check is on the real path (symlinks resolved), repeated on the file
 * descriptor after it is opened, so a symlink swapped in between the check and the open is
 * never followed. SECURITY.md states the promise; test/hardening/containment-*.test.ts prove it.
 */

/** The directories files may be read from (real paths, no trailing separator). */
export interface Boundary {
  /** The repository (git top level) or the main file's directory: what the findings name. */
  readonly root: string;
  /** root and every --allow-path directory, each as written and resolved once. */
  readonly roots: readonly string[];
}

/**
 * The git top level of a file: the nearest directory at or above `dir` holding `.git` (a
 * directory, or a file in a worktree or submodule), found without running git; else `dir`.
 * Walked on the path as written, so a symlinked directory cannot move the root with it.
 */
export function repositoryRoot(dir: string): string {
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      lstatSync(join(d, '.git'));
      return d;
    } catch {
      // no .git here; try the parent
    }
    if (dirname(d) === d) return resolve(dir);
  }
}

/** The boundary of one load: `root` (default: the repository of `mainAbs`) and the allowed directories. */
export function boundary(mainAbs: string, allowPaths: readonly string[] = [], root?: string): Boundary {
  const lexical = [resolve(root ?? repositoryRoot(dirname(mainAbs))), ...allowPaths.map((p) => resolve(p))];
  // as written too: a path is first checked as written, before the file system is asked
  const roots = [...new Set([...lexical.map(real), ...lexical])];
  return { root: real(lexical[0] ?? '/'), roots };
}

function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return resolve(p);
  }
}

/**
 * Whether a real path is inside one of the boundary's directories, and not inside a `.git`
 * directory there: actions/checkout keeps the job's token in `.git/config` (an
 * `http.extraheader`), which is inside the repository but never chainmail's input.
 */
export function contains(b: Boundary, realPath: string): boolean {
  return b.roots.some((r) => {
    const rel = relative(r, realPath);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return false;
    return !rel.split(sep).includes('.git');
  });
}

/** Why a file was not read: each becomes a one-line finding (docs/limits.md, docs/rules/path-outside-repository.md). */
export type Refusal =
  | { readonly kind: 'missing' }
  | { readonly kind: 'outside' }
  | { readonly kind: 'hard-link'; readonly links: number }
  | { readonly kind: 'not-regular'; readonly what: string }
  | { readonly kind: 'too-large'; readonly limit: number; readonly size?: number }
  | { readonly kind: 'budget'; readonly limit: number }
  | { readonly kind: 'duplicate'; readonly first: string }
  | { readonly kind: 'unreadable'; readonly code: string };

export type ReadResult = { readonly ok: true; readonly bytes: Buffer; readonly real: string } | { readonly ok: false; readonly refusal: Refusal };

/** Chunk of one read(2): small enough that an oversize file costs at most this much over its limit. */
const CHUNK = 1024 * 1024;

// O_NOFOLLOW: the checked real path has no symlink, so one found at open time was swapped in;
// O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer (open(2)).
export const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Reads files inside a boundary, each at most once per run (by device and inode), within a
 * byte budget for the whole run. Never throws for anything a file or a path can cause.
 */
export class ContainedReader {
  readonly #seen = new Map<string, string>();
  #spent = 0;

  constructor(
    readonly boundary: Boundary,
    /** Total bytes one run reads (LIMITS.maxTotalBytes). */
    readonly budget: number,
    /** Test hook: runs between the path check and the open, where an attacker would swap a link in. */
    private readonly afterCheck?: (realPath: string) => void,
  ) {}

  /** Bytes read so far. */
  get spent(): number {
    return this.#spent;
  }

  /** Reads `abs` (shown as `shown` in a later duplicate's message), at most `maxBytes`. */
  read(abs: string, shown: string, maxBytes: number): ReadResult {
    // outside as written: refused without asking the file system whether it exists
    if (!contains(this.boundary, resolve(abs))) return refuse({ kind: 'outside' });
    let realPath: string;
    try {
      realPath = realpathSync.native(abs);
    } catch (e) {
      const code = errno(e);
      return refuse(code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'missing' } : { kind: 'unreadable', code });
    }
    if (!contains(this.boundary, realPath)) return refuse({ kind: 'outside' });
    this.afterCheck?.(realPath);
    let fd: number;
    try {
      fd = openSync(realPath, OPEN_FLAGS);
    } catch (e) {
      const code = errno(e);
      // ELOOP: the last component became a symlink after the check; ENXIO: a unix socket
      if (code === 'ELOOP') return refuse({ kind: 'outside' });
      if (code === 'ENXIO') return refuse({ kind: 'not-regular', what: 'a socket' });
      return refuse(code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', code });
    }
    try {
      const st = fstatSync(fd);
      if (!this.#opened(fd, realPath, st)) return refuse({ kind: 'outside' });
      if (!st.isFile()) return refuse({ kind: 'not-regular', what: fileType(st) });
      // git stores no hard links, so a pull request cannot make one; one made on the machine
      // may have another name outside the repository that no path check can see
      if (st.nlink > 1) return refuse({ kind: 'hard-link', links: st.nlink });
      // a regular file's size is known: refuse it before reading (the read is bounded anyway)
      if (st.size > maxBytes) return refuse({ kind: 'too-large', limit: maxBytes, size: st.size });
      const id = `${st.dev}:${st.ino}`;
      const first = this.#seen.get(id);
      if (first !== undefined) return refuse({ kind: 'duplicate', first });
      this.#seen.set(id, shown);
      return this.#readAll(fd, maxBytes, realPath, st.size);
    } catch (e) {
      return refuse({ kind: 'unreadable', code: errno(e) });
    } finally {
      closeSync(fd);
    }
  }

  /** Whether the descriptor is the file that was checked (a parent directory swapped for a symlink is caught here). */
  #opened(fd: number, realPath: string, st: Stats): boolean {
    try {
      const where = readlinkSync(`/proc/self/fd/${fd}`);
      return where === realPath && contains(this.boundary, where);
    } catch {
      // no /proc (macOS): the path checked must still name the inode that was opened
      try {
        const now = lstatSync(realPath);
        return now.dev === st.dev && now.ino === st.ino;
      } catch {
        return false;
      }
    }
  }

  /**
   * Reads to the end, stopping one chunk past the limit. The first read asks for the size
   * fstat gave and one byte more, so a file that does not change is read into one buffer of
   * its size (no chunks to join: for a 6 MB routes.json the join's copy into fresh memory
   * cost ~60 ms); a file that grows meanwhile is read on in chunks, bounded as before.
   */
  #readAll(fd: number, maxBytes: number, realPath: string, size: number): ReadResult {
    const chunks: Buffer[] = [];
    let total = 0;
    for (let first = true; ; first = false) {
      const want = Math.min(first ? size + 1 : CHUNK, maxBytes + 1 - total, this.budget + 1 - this.#spent);
      if (want <= 0) break;
      const buf = Buffer.allocUnsafe(want);
      const n = readSync(fd, buf, 0, want, null);
      if (n === 0) break;
      chunks.push(n === want ? buf : buf.subarray(0, n));
      total += n;
      this.#spent += n;
    }
    if (total > maxBytes) return refuse({ kind: 'too-large', limit: maxBytes });
    if (this.#spent > this.budget) return refuse({ kind: 'budget', limit: this.budget });
    return { ok: true, bytes: chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, total), real: realPath };
  }
}

function refuse(refusal: Refusal): ReadResult {
  return { ok: false, refusal };
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'error';
}

function fileType(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}
