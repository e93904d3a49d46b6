import { closeSync, fstatSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { quotedPath, shownPath } from '../diagnostics/shown-path.js';
import { OPEN_FLAGS } from '../load/containment.js';
import type { Manifest } from './manifest.js';

/**
 * The output directory as data, not instructions: a pull request can commit anything into
 * it (docs/ci.md recommends committing it), so `build`, `build --check` and `plan` never
 * follow a symbolic link under it, check every component of a path with lstat(2), open
 * files with O_NOFOLLOW and compare the opened inode, and treat the paths manifest.json
 * lists as claims to verify (SECURITY.md, test/hardening/containment-artifacts.test.ts).
 */

export const MANIFEST = 'manifest.json';

/** Largest artifact read to compare it (bytes): the artifacts of 100,000 recipients are tens of MB. */
const MAX_ARTIFACT_BYTES = 512 * 1024 * 1024;
/** Largest manifest.json read. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/** A write that could not be done, or a path in the way; nothing in the output directory was changed. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
}

/** A manifest entry that was not acted on, and why. @public */
export interface IgnoredClaim {
  readonly path: string;
  readonly reason: string;
}

/**
 * A plain relative path: `/`-separated, no empty, `.` or `..` segment, not absolute, no
 * backslash, no control characters or line separators. Only such paths are ever joined to DIR.
 */
export function isPlainPath(p: string): boolean {
  if (p.length === 0 || p.length > 4096 || p.startsWith('/') || p.includes('\\') || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(p)) return false;
  return p.split('/').every((x) => x !== '' && x !== '.' && x !== '..');
}

/** Refuses artifact paths a target produced that are not plain (a bug: names are escaped by the targets). */
export function assertPlainPaths(paths: readonly string[]): void {
  const odd = paths.find((p) => !isPlainPath(p));
  if (odd !== undefined) throw new ArtifactError(`artifact path ${quotedPath(odd)} is not a plain relative path; please report this`);
}

/** What is at a plain path under `root`, found without following any symbolic link. */
export type Entry = { readonly kind: 'missing' } | { readonly kind: 'file'; readonly st: Stats } | { readonly kind: 'in-the-way'; readonly at: string; readonly what: string };

export function lookup(root: string, rel: string): Entry {
  const parts = rel.split('/');
  let cur = root;
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i] ?? '');
    let st: Stats;
    try {
      st = lstatSync(cur);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
      throw new ArtifactError(`cannot inspect ${quotedPath(cur)} (${code ?? 'error'})`);
    }
    const last = i === parts.length - 1;
    if (st.isSymbolicLink()) return { kind: 'in-the-way', at: cur, what: 'a symbolic link' };
    // a file where a directory goes is no file under it (build replaces an old artifact by a directory)
    if (!last && st.isFile()) return { kind: 'missing' };
    if (!last && !st.isDirectory()) return { kind: 'in-the-way', at: cur, what: 'not a directory' };
    if (last && !st.isFile()) return { kind: 'in-the-way', at: cur, what: st.isDirectory() ? 'a directory' : 'not a regular file' };
    if (last && st.nlink > 1) return { kind: 'in-the-way', at: cur, what: `a file with ${st.nlink} hard links` };
    if (last) return { kind: 'file', st };
  }
  return { kind: 'missing' };
}

/**
 * Refuses an output directory that is a symbolic link (or not a directory), and any
 * symbolic link among the components of `dir` below `base` (the working directory: what a
 * checkout can plant). Components above `base` are the operator's.
 */
export function assertOutDir(dir: string, base?: string): void {
  if (base !== undefined && dir.startsWith(`${base}/`)) {
    for (let cur = base, rest = dir.slice(base.length + 1).split('/'); rest.length > 0; ) {
      cur = join(cur, rest.shift() ?? '');
      let st: Stats;
      try {
        st = lstatSync(cur);
      } catch {
        return; // created by build
      }
      if (st.isSymbolicLink()) throw new ArtifactError(`${quotedPath(cur)} is a symbolic link; --out must name a real directory (resolve it yourself: --out "$(realpath DIR)")`);
      if (!st.isDirectory()) throw new ArtifactError(`${quotedPath(cur)} is not a directory; --out must name a directory`);
    }
    return;
  }
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) throw new ArtifactError(`${quotedPath(dir)} is a symbolic link; --out must name a real directory (resolve it yourself: --out "$(realpath DIR)")`);
  if (!st.isDirectory()) throw new ArtifactError(`${quotedPath(dir)} is not a directory; --out must name a directory`);
}

/** The bytes of `rel` in `root`; undefined when there is none; an ArtifactError when something else is in the way. */
export function readArtifact(root: string, rel: string): Uint8Array | undefined {
  const r = readPlain(root, rel, MAX_ARTIFACT_BYTES);
  if (r.kind === 'missing') return undefined;
  if (r.kind === 'in-the-way') throw new ArtifactError(`${shownPath(r.at)} is in the way: it is ${r.what}; remove it`);
  return r.value;
}

/**
 * Whether the file at `rel` in `root` holds exactly the bytes of `parts`: undefined when
 * there is none, an ArtifactError when something else is in the way. The sizes first; then
 * read in blocks into one buffer and compared in place (a rebuild at 100,000 recipients
 * compares 72 MB: no copy of each file, no buffer of tens of MB per file to fault in).
 */
export function sameArtifact(root: string, rel: string, parts: readonly Uint8Array[], from: { readonly file: number; readonly parts: number } = { file: 0, parts: 0 }): boolean | undefined {
  let size = 0;
  for (const p of parts) size += p.length;
  // `from`: the file from that byte against the parts from theirs (plan: the bytes after the header)
  const r = withPlainFile(root, rel, MAX_ARTIFACT_BYTES, (fd, st) => {
    if (st.size - from.file !== size - from.parts) return false;
    const block = (compareBlock ??= Buffer.allocUnsafe(COMPARE_BLOCK));
    let pos = from.file;
    let skip = from.parts;
    for (const p of parts) {
      if (skip >= p.length) {
        skip -= p.length;
        continue;
      }
      for (let at = skip; at < p.length; ) {
        const want = Math.min(block.length, p.length - at);
        let n = 0;
        for (let k; n < want && (k = readSync(fd, block, n, want - n, pos + n)) > 0; ) n += k;
        if (n < want || block.compare(p, at, at + n, 0, n) !== 0) return false;
        at += n;
        pos += n;
      }
      skip = 0;
    }
    // nothing after the expected end (the file grew while it was read)
    return readSync(fd, block, 0, 1, pos) === 0;
  });
  if (r.kind === 'missing') return undefined;
  if (r.kind === 'in-the-way') throw new ArtifactError(`${shownPath(r.at)} is in the way: it is ${r.what}; remove it`);
  return r.value;
}

/** The first `max` bytes (at most) of `rel` in `root`, as {@link readArtifact} reads the whole. */
export function readArtifactHead(root: string, rel: string, max: number): Uint8Array | undefined {
  const r = withPlainFile(root, rel, MAX_ARTIFACT_BYTES, (fd, st) => {
    const buf = Buffer.allocUnsafe(Math.min(max, st.size));
    let n = 0;
    for (let k; n < buf.length && (k = readSync(fd, buf, n, buf.length - n, n)) > 0; ) n += k;
    return buf.subarray(0, n);
  });
  if (r.kind === 'missing') return undefined;
  if (r.kind === 'in-the-way') throw new ArtifactError(`${shownPath(r.at)} is in the way: it is ${r.what}; remove it`);
  return r.value;
}

/** Bytes read and compared at a time by {@link sameArtifact}: made once, kept for the process. */
const COMPARE_BLOCK = 1024 * 1024;
let compareBlock: Buffer | undefined;

type Opened<T> = { readonly kind: 'missing' } | { readonly kind: 'in-the-way'; readonly at: string; readonly what: string } | { readonly kind: 'file'; readonly value: T };

/** Reads a regular file at a plain path under `root`. */
function readPlain(root: string, rel: string, maxBytes: number): Opened<Buffer> {
  return withPlainFile(root, rel, maxBytes, (fd, st, swapped) => {
    const buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (let k; n < buf.length && (k = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += k;
    if (n > st.size) throw swapped;
    return buf.subarray(0, n);
  });
}

/**
 * Opens a regular file at a plain path under `root` and hands it to `use`: every component
 * checked, the file opened without following a link, the opened inode compared. `use` may
 * throw the `swapped` answer it is given (the file changed while it was read).
 */
function withPlainFile<T>(root: string, rel: string, maxBytes: number, use: (fd: number, st: Stats, swapped: Opened<T>) => T): Opened<T> {
  const entry = lookup(root, rel);
  if (entry.kind !== 'file') return entry;
  const abs = join(root, rel);
  const swapped = { kind: 'in-the-way', at: abs, what: 'a path that changed while it was read' } as const;
  let fd: number;
  try {
    fd = openSync(abs, OPEN_FLAGS);
  } catch {
    return swapped;
  }
  try {
    const st = fstatSync(fd);
    if (st.dev !== entry.st.dev || st.ino !== entry.st.ino || !st.isFile() || !opensInside(fd, root, rel)) return swapped;
    if (st.size > maxBytes) return { kind: 'in-the-way', at: abs, what: `larger than ${maxBytes} bytes` };
    return { kind: 'file', value: use(fd, st, swapped) };
  } catch (e) {
    if (e === swapped) return swapped;
    throw e;
  } finally {
    closeSync(fd);
  }
}

/** Whether the descriptor is `root/rel` (a directory on the way swapped for a link is caught here). */
function opensInside(fd: number, root: string, rel: string): boolean {
  let where: string;
  try {
    where = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return true; // no /proc: the component checks and O_NOFOLLOW stand alone
  }
  return where === join(realpathSync.native(root), rel);
}

/**
 * The manifest of an earlier build in `root`, and its entries that were ignored: a path
 * that is not plain, or does not lead to a regular file inside `root` without a symbolic
 * link on the way. Entries of files that no longer exist are neither kept nor reported.
 */
export function readManifest(root: string): { manifest?: Manifest; ignored: IgnoredClaim[] } {
  const r = readPlain(root, MANIFEST, MAX_MANIFEST_BYTES);
  if (r.kind === 'missing') return { ignored: [] };
  if (r.kind === 'in-the-way') return { ignored: [{ path: MANIFEST, reason: `it is ${r.what}` }] };
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(r.value.toString('utf8')) as Partial<Manifest>;
  } catch {
    return { ignored: [{ path: MANIFEST, reason: 'it is not JSON' }] };
  }
  if (m.version !== 1 || !Array.isArray(m.files)) return { ignored: [] };
  const ignored: IgnoredClaim[] = [];
  const files: Manifest['files'][number][] = [];
  for (const f of m.files as unknown[]) {
    const path = (f as { path?: unknown } | null)?.path;
    if (typeof path !== 'string' || !isPlainPath(path)) {
      ignored.push({ path: typeof path === 'string' ? path : JSON.stringify(path ?? null), reason: 'it is not a plain relative path' });
      continue;
    }
    const entry = lookup(root, path);
    if (entry.kind === 'in-the-way') ignored.push({ path, reason: `${entry.at === join(root, path) ? 'it' : quotedPath(entry.at.slice(root.length + 1))} is ${entry.what}` });
    else if (entry.kind === 'file') files.push(f as Manifest['files'][number]);
  }
  return { manifest: { ...(m as Manifest), files }, ignored };
}

/** The one-line warning for an ignored manifest entry (the path escaped). */
export function ignoredLine(dirShown: string, c: IgnoredClaim): string {
  return `warning: ${quotedPath(`${dirShown}/${MANIFEST}`)} lists ${quotedPath(c.path)}, which chainmail ignores: ${c.reason}`;
}
