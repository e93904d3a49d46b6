import { copyFileSync, existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { findTool, run } from './tools.js';

/**
 * Helpers that run the real Postfix tools on generated files. Debian installs Postfix here
 * with "No configuration" (no /etc/postfix/main.cf), and postmap/postconf refuse to run
 * without one, so every helper works in its own config directory (`-c DIR`).
 */

/** Map types that `postmap` can build here (`postconf -m`); hash is Postfix's default_database_type on Debian. */
export type MapType = 'hash' | 'btree' | 'lmdb' | 'cdb';

/** Postfix's own defaults, in the order we look for them: Debian's short main.cf, then the upstream one. */
const MAIN_CF_CANDIDATES = ['/usr/share/postfix/main.cf.debian', '/usr/share/postfix/main.cf.dist', '/etc/postfix/main.cf.proto'];
const MASTER_CF_CANDIDATES = ['/usr/share/postfix/master.cf.dist', '/etc/postfix/master.cf.proto', '/etc/postfix/master.cf'];

function tool(name: string): string {
  const p = findTool(name);
  if (!p) throw new Error(`${name} not found: run .ci/install-system-packages.sh`);
  return p;
}

/** A temp dir with a minimal main.cf and master.cf, usable as `postconf -c` / `postmap -c`. */
export function makeConfigDir(prefix = 'chainmail-postfix-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const main = MAIN_CF_CANDIDATES.find((f) => existsSync(f));
  if (main) copyFileSync(main, join(dir, 'main.cf'));
  // compatibility_level: without it Postfix 3.x logs backwards-compatibility warnings.
  else writeFileSync(join(dir, 'main.cf'), 'compatibility_level = 3.6\n');
  const master = MASTER_CF_CANDIDATES.find((f) => existsSync(f));
  if (master) copyFileSync(master, join(dir, 'master.cf'));
  else writeFileSync(join(dir, 'master.cf'), 'smtp      inet  n       -       y       -       -       smtpd\n');
  agePostfixConfig(dir);
  return dir;
}

/**
 * Dates main.cf and master.cf one hour back. Postfix programs that read main.cf (postmap,
 * postfix) sleep until its time stamp is in the past (about two seconds for a fresh copy),
 * which made every helper call slow.
 */
export function agePostfixConfig(dir: string): void {
  const past = new Date(Date.now() - 3600_000);
  for (const f of ['main.cf', 'master.cf']) if (existsSync(join(dir, f))) utimesSync(join(dir, f), past, past);
}

/** Postfix diagnostics: the `warning:` lines and the `fatal:`/`error:` lines, prefix removed. */
export interface PostfixCheck {
  readonly code: number;
  readonly warnings: readonly string[];
  readonly errors: readonly string[];
}

function classify(code: number, stderr: string, dir?: string): PostfixCheck {
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^\S+: (warning|fatal|error|panic): (.*)$/.exec(line.trim());
    if (!m) continue;
    // Messages name the temp copy; show the file's own name, as the user would see it.
    const text = dir ? (m[2] ?? '').split(`${dir}/`).join('') : (m[2] ?? '');
    (m[1] === 'warning' ? warnings : errors).push(text);
  }
  if (code !== 0 && errors.length === 0) errors.push(stderr.trim() || `exit code ${code}`);
  return { code, warnings, errors };
}

/**
 * Runs the real `postmap TYPE:FILE` on a copy of `file` (contents or a path) in a temp dir,
 * and returns its warnings and errors (e.g. "line 2: expected format: key whitespace value",
 * "duplicate entry"). File names in messages are the copy's base name.
 */
export async function postmapCheck(file: { name: string; content: string | Uint8Array } | string, type: MapType = 'hash'): Promise<PostfixCheck> {
  const dir = makeConfigDir();
  try {
    const path = stage(dir, file);
    const r = await run(tool('postmap'), ['-c', dir, `${type}:${path}`]);
    return classify(r.code, r.stderr, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Builds the map with the real `postmap` and looks `key` up with `postmap -q`: the value,
 * or undefined when the key is not found. Throws when the map does not build.
 */
export async function postmapQuery(
  file: { name: string; content: string | Uint8Array } | string,
  key: string,
  type: MapType = 'hash',
): Promise<string | undefined> {
  const dir = makeConfigDir();
  try {
    const path = stage(dir, file);
    const built = await run(tool('postmap'), ['-c', dir, `${type}:${path}`]);
    if (built.code !== 0) throw new Error(`postmap failed: ${built.stderr.trim()}`);
    const r = await run(tool('postmap'), ['-c', dir, '-q', key, `${type}:${path}`]);
    if (r.code === 1) return undefined;
    if (r.code !== 0) throw new Error(`postmap -q failed: ${r.stderr.trim()}`);
    return r.stdout.replace(/\n$/, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function stage(dir: string, file: { name: string; content: string | Uint8Array } | string): string {
  if (typeof file === 'string') {
    const dest = join(dir, basename(file));
    copyFileSync(file, dest);
    return dest;
  }
  const dest = join(dir, basename(file.name));
  writeFileSync(dest, file.content);
  return dest;
}

/** The result of {@link postconfCheck}: warnings/errors, and `postconf -n` of the result. */
export interface PostconfResult extends PostfixCheck {
  /** The non-default parameters after the edit (`postconf -n`), one `name = value` per line. */
  readonly effective: string;
}

/**
 * Applies main.cf lines (`name = value`; blank lines and `#` comments skipped) with the real
 * `postconf -c DIR -e` to a copy of Postfix's default main.cf, then reads the result back
 * with `postconf -n`, which is where Postfix reports unknown ("unused") parameters.
 */
export async function postconfCheck(lines: string | readonly string[]): Promise<PostconfResult> {
  const list = (typeof lines === 'string' ? lines.split('\n') : lines).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const dir = makeConfigDir();
  try {
    const postconf = tool('postconf');
    const edit = await run(postconf, ['-c', dir, '-e', ...list]);
    const first = classify(edit.code, edit.stderr, dir);
    if (edit.code !== 0) return { ...first, effective: '' };
    agePostfixConfig(dir);
    const shown = await run(postconf, ['-c', dir, '-n']);
    const second = classify(shown.code, shown.stderr, dir);
    return {
      code: shown.code,
      warnings: [...first.warnings, ...second.warnings],
      errors: [...first.errors, ...second.errors],
      effective: shown.stdout,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
