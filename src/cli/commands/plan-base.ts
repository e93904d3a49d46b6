import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { LIMITS, parseAhead, type ParsedAhead } from '../../load/load.js';
import { loadModel, loadModelParsedAhead, type LoadedModel } from '../../pipeline.js';
import type { Model } from '../../model/model.js';
import { routeDiff, type RouteDiff } from '../../route/route-diff.js';
import { loadOptions } from '../allow-path.js';
import { UsageError, type CliIo } from '../io.js';
import { progress } from '../progress.js';
import { loadRoutable } from '../routable.js';

/** Where `plan --base` reads the old version: a file, or a file at a git revision. */
export type BaseSpec = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'git'; readonly ref: string; readonly path?: string };

/**
 * Reads `--base`: an existing file; else `REF:path` (git's own syntax: the path is from the
 * repository's top, or relative to the current directory when it starts with ./ or ../);
 * else a bare REF, meaning FILE as it is at that revision. A ref cannot contain ":"
 * (git-check-ref-format(1)), so the first ":" separates the two.
 */
export function parseBase(value: string, cwd: string): BaseSpec {
  const abs = resolve(cwd, value);
  if (existsSync(abs) && statSync(abs).isFile()) return { kind: 'file', path: value };
  // a missing "old.yaml" is a mistyped file, not a git revision: the loader says so
  if (!value.includes(':') && /\.ya?ml$/i.test(value)) return { kind: 'file', path: value };
  const colon = value.indexOf(':');
  if (colon > 0) {
    const path = value.slice(colon + 1);
    return { kind: 'git', ref: value.slice(0, colon), ...(path ? { path } : {}) };
  }
  return { kind: 'git', ref: value };
}

/** A failure to read the base version: one line, exit 2. */
export class BaseError extends Error {}

/**
 * Loads the base version of FILE. From git, the main file and every file it needs (its
 * includes and mailbox files, recursively) come from the same revision: they are written
 * into a temporary copy of the tree, loaded from there, and the copy is removed.
 * Paths in messages are shown as they would be in the working tree.
 */
export function loadBase(spec: BaseSpec, file: string, io: CliIo, allowPaths?: readonly string[]): { loaded: LoadedModel; label: string } {
  if (spec.kind === 'file') return { loaded: loadModel(spec.path, loadOptions(io, { 'allow-path': allowPaths })), label: spec.path };
  const headAbs = resolve(io.cwd, file);
  const top = git(['rev-parse', '--show-toplevel'], existsSync(dirname(headAbs)) ? dirname(headAbs) : io.cwd, `${file} is not in a git repository`).toString('utf8').trim();
  let rel: string;
  if (spec.path === undefined) rel = relative(top, headAbs);
  else if (/^\.\.?(\/|$)/.test(spec.path)) rel = relative(top, resolve(io.cwd, spec.path));
  else rel = spec.path;
  rel = rel.split(sep).join('/');
  if (rel.startsWith('../') || isAbsolute(rel)) throw new BaseError(`--base ${spec.ref}:${spec.path ?? ''}: the file is outside the repository ${top}`);
  const label = `${spec.ref}:${rel}`;
  // the revision must exist: say so clearly rather than "path does not exist"
  git(['rev-parse', '--verify', '--quiet', `${spec.ref}^{commit}`], top, `--base ${spec.ref}: no such git revision in ${top} (try a branch, tag or commit, e.g. origin/main)`);
  const tmp = mkdtempSync(join(tmpdir(), 'chainmail-base-'));
  try {
    // the YAML files are parsed to find what they include: the load takes those values
    const parsed = new Map<string, ParsedAhead>();
    materialise(top, spec.ref, rel, tmp, label, parsed);
    // show paths as in the working tree: the same relative position under the copy
    const cwdRel = relative(top, io.cwd);
    const cwd = cwdRel.startsWith('..') || isAbsolute(cwdRel) ? tmp : join(tmp, cwdRel);
    // the copy is the repository: its includes and mailbox files are contained in it
    const loaded = loadModelParsedAhead(join(tmp, rel), { ...loadOptions(io, { 'allow-path': allowPaths }), cwd, root: tmp }, parsed);
    const fatal = loaded.fatal?.split(tmp + sep).join('');
    return { loaded: fatal === undefined ? loaded : { ...loaded, fatal: `${label}: ${fatal}` }, label };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A file materialise() copies out of the revision: the main file, an include, a mailbox file. */
interface Wanted {
  readonly path: string;
  readonly yaml: boolean;
  readonly main: boolean;
}

/**
 * Writes `rel` at `ref` and, recursively, the includes and mailbox files it names into `tmp`;
 * each YAML file's parsed value into `parsed` by its path there (where the loader would parse
 * it alike: {@link parseAhead}). Breadth first, one level of files at a time: one `git
 * ls-tree` and one `git cat-file --batch` per level, not two processes per file (at 100,000
 * recipients seven files, ~0.2 s of process starts).
 */
function materialise(top: string, ref: string, rel: string, tmp: string, label: string, parsed: Map<string, ParsedAhead>): void {
  const done = new Set<string>();
  let spent = 0;
  let level: Wanted[] = [{ path: rel, yaml: true, main: true }];
  let full = false;
  while (level.length > 0 && !full) {
    const items: Wanted[] = [];
    for (const item of level) {
      if (done.has(item.path)) continue;
      done.add(item.path);
      if (done.size > LIMITS.maxIncludes + 1024) {
        full = true;
        break;
      }
      items.push(item);
    }
    const entries = treeEntries(top, ref, items.map((i) => i.path));
    const found: { item: Wanted; object: string }[] = [];
    for (const item of items) {
      const blob = regularBlob(entries.get(item.path), ref, item.path, LIMITS.maxTotalBytes - spent);
      if (blob === undefined) {
        // a missing include or mailbox file is reported by the loader, as for a working tree
        if (item.main) throw new BaseError(`--base ${label}: no such file at ${ref}`);
        continue;
      }
      spent += blob.size;
      found.push({ item, object: blob.object });
    }
    const contents = blobs(top, found.map((f) => f.object));
    const next: Wanted[] = [];
    found.forEach(({ item }, k) => {
      const content = contents[k] as Buffer;
      const out = join(tmp, item.path);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, content);
      if (!item.yaml) return;
      const dir = posix.dirname(item.path);
      const inside = (p: string): string | undefined => {
        const n = posix.normalize(posix.join(dir, p));
        return n.startsWith('../') || posix.isAbsolute(p) ? undefined : n;
      };
      const { value, ahead } = parseAhead(content.toString('utf8'));
      if (ahead !== undefined) parsed.set(out, ahead);
      for (const r of references(value)) {
        const p = inside(r.path);
        if (p !== undefined) next.push({ path: p, yaml: r.yaml, main: false });
      }
    });
    level = next;
  }
}

/** One entry of `git ls-tree --long`: "<mode> SP <type> SP <object> SP <size> TAB <path>". */
interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly object: string;
  readonly size: string;
}

/**
 * The entries of `paths` at `ref`, by path, from one `git ls-tree --long -z` (git-ls-tree(1));
 * the paths literal (`--literal-pathspecs`: a file's include names a path, not a pattern).
 */
function treeEntries(top: string, ref: string, paths: readonly string[]): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  if (paths.length === 0) return entries;
  for (const line of git(['--literal-pathspecs', 'ls-tree', '-l', '-z', ref, '--', ...paths], top, '').toString('utf8').split('\0')) {
    const m = /^(\d+) (\w+) ([0-9a-f]+) +(-|\d+)\t([\s\S]*)$/.exec(line);
    if (m) entries.set(m[5] as string, { mode: m[1] as string, type: m[2] as string, object: m[3] as string, size: m[4] as string });
  }
  return entries;
}

/**
 * The object and size of `path`'s entry when it is a regular file (git modes 100644 and
 * 100755) no larger than the bytes left to read; undefined when there is no such path. A
 * symbolic link, a directory or a submodule is refused: the base version is data from a
 * revision, and its links are not followed (SECURITY.md).
 */
function regularBlob(entry: TreeEntry | undefined, ref: string, path: string, left: number): { object: string; size: number } | undefined {
  if (!entry) return undefined;
  const shown = JSON.stringify(path);
  if (entry.mode !== '100644' && entry.mode !== '100755') throw new BaseError(`--base ${ref}: ${shown} is ${entry.mode === '120000' ? 'a symbolic link' : entry.type === 'tree' ? 'a directory' : 'not a regular file'} at ${ref}; plan --base reads only regular files`);
  const size = Number(entry.size);
  const limit = Math.min(LIMITS.maxMailboxFileBytes, left);
  if (size > limit) throw new BaseError(`--base ${ref}: ${shown} is ${size} bytes at ${ref}, over the limit of ${limit} bytes read in one run (docs/limits.md)`);
  return { object: entry.object, size };
}

/**
 * The contents of blob `objects`, in order, from one `git cat-file --batch`: for each,
 * "<object> SP blob SP <size> LF <contents> LF" (git-cat-file(1), BATCH OUTPUT). The sizes
 * were checked against the limits from the tree (regularBlob()).
 */
function blobs(top: string, objects: readonly string[]): Buffer[] {
  if (objects.length === 0) return [];
  const out = git(['cat-file', '--batch'], top, '', `${objects.join('\n')}\n`);
  const contents: Buffer[] = [];
  let pos = 0;
  for (const object of objects) {
    const nl = out.indexOf(0x0a, pos);
    const header = /^([0-9a-f]+) blob (\d+)$/.exec(out.toString('latin1', pos, nl === -1 ? out.length : nl));
    if (nl === -1 || !header || header[1] !== object) throw new BaseError(`git cat-file --batch did not give blob ${object}`);
    const start = nl + 1;
    const end = start + Number(header[2]);
    contents.push(out.subarray(start, end));
    pos = end + 1;
  }
  return contents;
}

/** The includes (YAML) and mailbox files (text) a chainmail file names; nothing when it does not parse. */
function references(doc: unknown): { path: string; yaml: boolean }[] {
  // parsed as the loader parses it (src/load/load.ts: parseAhead), so the files fetched are the ones it reads
  if (!doc || typeof doc !== 'object') return [];
  const out: { path: string; yaml: boolean }[] = [];
  const d = doc as Record<string, unknown>;
  if (Array.isArray(d['include'])) for (const p of d['include']) if (typeof p === 'string') out.push({ path: p, yaml: true });
  const systems = d['systems'];
  if (systems && typeof systems === 'object') {
    for (const s of Object.values(systems as Record<string, unknown>)) {
      const files = s && typeof s === 'object' ? (s as Record<string, unknown>)['mailboxFiles'] : undefined;
      if (Array.isArray(files)) for (const p of files) if (typeof p === 'string') out.push({ path: p, yaml: false });
    }
  }
  return out;
}

/** Runs git in `cwd` (`input` on its standard input); a failure becomes a BaseError with `message` (git's own first line when empty). */
function git(args: readonly string[], cwd: string, message: string, input?: string): Buffer {
  try {
    // --batch's output: every blob of a level, at most the bytes one run may read (LIMITS)
    return execFileSync('git', [...args], { cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}), maxBuffer: LIMITS.maxTotalBytes + 1024 * 1024 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new BaseError('--base names a git revision but git is not installed; give the old version as a file instead');
    const said = err.stderr?.toString('utf8').trim().split('\n')[0] ?? '';
    throw new BaseError(message || said || `git ${args.join(' ')} failed`);
  }
}

/** The route diff of `plan --base` and the label of the base version. */
export interface PlannedRoutes {
  readonly diff: RouteDiff;
  readonly label: string;
  /** FILE as loaded for the diff: `plan --out` builds this very load (one parse, its routing tables compiled once). */
  readonly head: LoadedModel & { readonly model: Model };
}

/**
 * Loads both versions and compares their routes; or prints why not and returns the exit
 * code (2: a version cannot be read; 1: a version has errors that leave no model).
 */
export function planRoutes(positionals: readonly string[], base: string, io: CliIo, allowPaths?: readonly string[]): PlannedRoutes | number {
  if (positionals.length !== 1) throw new UsageError('name exactly one FILE');
  const file = positionals[0] ?? '';
  const head = loadRoutable(file, io, 'plan', allowPaths);
  if (typeof head === 'number') return head;
  let old: { loaded: LoadedModel; label: string };
  try {
    old = loadBase(parseBase(base, io.cwd), file, io, allowPaths);
  } catch (e) {
    if (!(e instanceof BaseError)) throw e;
    io.stderr(`chainmail plan: ${e.message}\n`);
    return 2;
  }
  if (old.loaded.fatal) {
    io.stderr(`chainmail plan: base version: ${old.loaded.fatal}\n`);
    return 2;
  }
  if (!old.loaded.model) {
    io.stderr(`chainmail plan: the base version ${old.label} has errors that prevent routing; it cannot be compared\n`);
    return 1;
  }
  const bar = progress(io, 'chainmail plan: routing');
  try {
    const diff = routeDiff(old.loaded.model, head.model, { onProgress: (done, total) => bar.update(done, total) });
    return { diff, label: old.label, head };
  } finally {
    bar.done();
  }
}
