import { chmodSync, chownSync, existsSync, linkSync, lstatSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MapType } from '../compile/targets/postfix/postfix.js';
import { DeployError } from './deploy-error.js';
import { firstProblem, type PostfixCommands } from './postfix-commands.js';

/** The file postmap(1) builds beside a source file: hash -> `.db`, lmdb -> `.lmdb` (postconf -m). */
export const INDEX_SUFFIX: Readonly<Record<MapType, string>> = { hash: '.db', lmdb: '.lmdb' };

const NEW = '.chainmail-new';
const OLD = '.chainmail-old';

/** One installed map file, until the deploy is committed or undone. */
export interface MapSwap {
  /** Puts the old file back (or removes the new one when there was none). */
  undo(): void;
  /** Drops the backup of the old file. */
  commit(): void;
}

/**
 * Builds every map as `<name>.chainmail-new` with postmap, then swaps each into place, index
 * first: Postfix reads only the index, so the rename of the index is the moment a map
 * changes, atomically (rename(2)); the source follows for the next postmap by hand. The old
 * files stay reachable as hard links `*.chainmail-old` until commit. On a failure the
 * built files are removed and the swapped ones undone before the error is thrown.
 */
export function installMaps(
  maps: ReadonlyMap<string, Buffer>,
  target: { dir: string; type: MapType },
  commands: PostfixCommands,
  log: (line: string) => void,
): MapSwap[] {
  const suffix = INDEX_SUFFIX[target.type];
  const built: string[] = [];
  try {
    for (const [name, bytes] of maps) {
      const source = join(target.dir, name + NEW);
      for (const f of [source, source + suffix]) rmSync(f, { force: true });
      built.push(source, source + suffix);
      writeFileSync(source, bytes, { mode: 0o644, flag: 'wx' });
      const r = commands.postmap([`${target.type}:${source}`]);
      if (r.code !== 0 || /warning:/.test(r.stderr)) throw new DeployError(`postmap ${target.type}:${source}: ${firstProblem(r)}`);
    }
  } catch (e) {
    for (const f of built) rmSync(f, { force: true });
    throw e;
  }
  const swaps: MapSwap[] = [];
  try {
    for (const name of maps.keys()) {
      const live = join(target.dir, name);
      swaps.push(swap(live + NEW + suffix, live + suffix), swap(live + NEW, live));
      log(`installed ${target.type}:${live}`);
    }
  } catch (e) {
    for (const s of swaps.reverse()) s.undo();
    for (const f of built) rmSync(f, { force: true });
    throw new DeployError(`cannot install the maps in ${target.dir}: ${(e as Error).message}`);
  }
  return swaps;
}

/** Renames `from` over `to`, keeping the old `to` as a hard link `to.chainmail-old`. */
function swap(from: string, to: string): MapSwap {
  const backup = to + OLD;
  const had = existsSync(to);
  if (had) {
    if (lstatSync(to).isSymbolicLink()) throw new Error(`${to} is a symbolic link; chainmail replaces only regular files`);
    rmSync(backup, { force: true });
    linkSync(to, backup);
  }
  renameSync(from, to);
  return {
    undo() {
      if (had) renameSync(backup, to);
      else rmSync(to, { force: true });
    },
    commit() {
      if (had) rmSync(backup, { force: true });
    },
  };
}

/** Writes `bytes` to `path` atomically (a temp file renamed over it), keeping its mode and owner. */
export function restoreFile(path: string, bytes: Buffer): void {
  const st = statSync(path);
  const tmp = `${path}.chainmail-restore`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, bytes, { flag: 'wx', mode: st.mode & 0o7777 });
  chmodSync(tmp, st.mode & 0o7777);
  try {
    chownSync(tmp, st.uid, st.gid);
  } catch {
    // not root: the file is ours anyway
  }
  renameSync(tmp, path);
}
