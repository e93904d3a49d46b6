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
  const diff = unifiedDiff(cur ? `a/${path}` : '/dev/null', next ? `b/${path}` : '/dev/null', before, after);
  let additions = 0;
  let deletions = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++ ')) additions++;
    else if (line.startsWith('-') && !line.startsWith('--- ')) deletions++;
  }
  return { path, action, headerOnly: false, additions, deletions, diff };
}

/** Lines of context around each change (diff -u). */
const CONTEXT = 3;

/**
 * `createTwoFilesPatch(from, to, before, after)` with 3 lines of context, computed without
 * the lines the two texts begin with in common (but the context before the first change):
 * the library splits both texts into lines whole, ~0.7 s of a plan whose one changed
 * mailbox touches 6 MB maps (issue 19). Exact: the library's Myers search first follows
 * the common prefix on the diagonal, so the hunks of the rest are the same, their line
 * numbers shifted back by the lines left out (test/property/plan-diff.property.test.ts
 * holds it to the library on the whole texts). The common end is not left out: there a
 * run of repeated lines could be aligned differently.
 */
export function unifiedDiff(from: string, to: string, before: string, after: string): string {
  // the common prefix, cut after a line feed, less the context lines the first hunk shows
  const n = Math.min(before.length, after.length);
  let same = 0;
  while (same < n && before.charCodeAt(same) === after.charCodeAt(same)) same++;
  let cut = same === 0 ? 0 : before.lastIndexOf('\n', same - 1) + 1;
  let skipped = 0;
  for (let i = 0; i < cut; i++) if (before.charCodeAt(i) === 0x0a) skipped++;
  for (let k = 0; k < CONTEXT && cut > 0; k++) {
    // the start of the line before (a first line that is empty has its line feed at 0)
    cut = cut >= 2 ? before.lastIndexOf('\n', cut - 2) + 1 : 0;
    skipped--;
  }
  const patch = createTwoFilesPatch(from, to, cut > 0 ? before.slice(cut) : before, cut > 0 ? after.slice(cut) : after, '', '', { context: CONTEXT }).replace(/^=+\n/, '');
  if (skipped <= 0) return patch;
  // each hunk's first line numbers, shifted back by the lines left out
  return patch.replace(/^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@/gm, (_, a: string, b: string | undefined, c: string, d: string | undefined) => `@@ -${Number(a) + skipped}${b ?? ''} +${Number(c) + skipped}${d ?? ''} @@`);
}

/** Text of an artifact: UTF-16LE with a byte order mark (csvde -u), else UTF-8. */
function decode(b: Uint8Array): string {
  // a view of the bytes, not a copy (Buffer.from(Uint8Array) copies: tens of MB per plan)
  const view = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (b[0] === 0xff && b[1] === 0xfe) return view.toString('utf16le', 2);
  return view.toString('utf8');
}

