import { createTwoFilesPatch } from 'diff';
import { assertOutDir, assertPlainPaths, sameArtifact, type IgnoredClaim } from './artifact-dir.js';
import { fileBytes, fileParts, MANIFEST, readArtifact, readManifest, sameBesidesHeader, withoutHeader } from './emit.js';
import type { OutputFile } from './output.js';

/**
 * What a build would do to one file of DIR.
 *
 * @public
 */
export interface FileChange {
  readonly path: string;
  readonly action: 'add' | 'change' | 'remove';
  /** Only the generated header (the input's sha256 or chainmail's version) changes. */
  readonly headerOnly: boolean;
  readonly additions: number;
  readonly deletions: number;
  /** Unified diff of the content without the generated header; empty when headerOnly. */
  readonly diff: string;
}

/**
 * Compares DIR with the files a build would write (manifest.json left out): the artifact
 * part of `chainmail plan`.
 *
 * @public
 */
export function planChanges(dir: string, files: readonly OutputFile[]): { changes: FileChange[]; unchanged: number; ignored: IgnoredClaim[] } {
  assertOutDir(dir);
  assertPlainPaths(files.map((f) => f.path));
  const changes: FileChange[] = [];
  let unchanged = 0;
  const produced = new Set(files.map((f) => f.path));
  for (const f of files) {
    if (f.path === MANIFEST) continue;
    // compared in place, as build compares (no copy of either side), then without the
    // header (a new input sha256 changes every file's); read whole only when it differs
    const parts = fileParts(f);
    const same = sameArtifact(dir, f.path, parts);
    if (same === true) {
      unchanged++;
      continue;
    }
    if (same === false && sameBesidesHeader(dir, f.path, parts)) {
      changes.push({ path: f.path, action: 'change', headerOnly: true, additions: 0, deletions: 0, diff: '' });
      continue;
    }
    const cur = readArtifact(dir, f.path);
    changes.push(change(f.path, cur ? 'change' : 'add', cur, fileBytes(f)));
  }
  const old = readManifest(dir);
  for (const f of old.manifest?.files ?? []) {
    if (produced.has(f.path) || f.path === MANIFEST) continue;
    const cur = readArtifact(dir, f.path);
    if (cur) changes.push(change(f.path, 'remove', cur, undefined));
  }
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { changes, unchanged, ignored: old.ignored };
}

function change(path: string, action: FileChange['action'], cur: Uint8Array | undefined, next: Uint8Array | undefined): FileChange {
  const before = cur ? withoutHeader(path, decode(cur)) : '';
  const after = next ? withoutHeader(path, decode(next)) : '';
  if (action === 'change' && before === after) return { path, action, headerOnly: true, additions: 0, deletions: 0, diff: '' };
  const diff = createTwoFilesPatch(cur ? `a/${path}` : '/dev/null', next ? `b/${path}` : '/dev/null', before, after, '', '', { context: 3 }).replace(/^=+\n/, '');
  let additions = 0;
  let deletions = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++ ')) additions++;
    else if (line.startsWith('-') && !line.startsWith('--- ')) deletions++;
  }
  return { path, action, headerOnly: false, additions, deletions, diff };
}

/** Text of an artifact: UTF-16LE with a byte order mark (csvde -u), else UTF-8. */
function decode(b: Uint8Array): string {
  // a view of the bytes, not a copy (Buffer.from(Uint8Array) copies: tens of MB per plan)
  const view = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (b[0] === 0xff && b[1] === 0xfe) return view.toString('utf16le', 2);
  return view.toString('utf8');
}

