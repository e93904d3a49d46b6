import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { boundary, ContainedReader, contains, type Boundary } from '../../load/containment.js';
import type { DirectorySource } from '../../model/config.generated.js';
import { DEFAULT_FILTER, type DirectoryQuery } from './ldap-read.js';

/** The command line of `import ldap`, as parsed (the password is never among them). */
export interface LdapFlags {
  readonly url?: string;
  readonly base?: string;
  readonly filter?: string;
  readonly bindDn?: string;
  readonly passwordEnv?: string;
  readonly passwordFile?: string;
  readonly ca?: string;
  readonly startTls?: boolean;
  readonly out?: string;
  readonly pageSize?: number;
}

/** The settings resolved, or the one-line reason they cannot be. */
export interface ResolvedSettings {
  readonly query: DirectoryQuery;
  /** Absolute path of the snapshot to write; undefined: standard output. */
  readonly out?: string;
  /** The same path as the user sees it. */
  readonly outShown?: string;
}

/**
 * Merges the command line over a system's `directory:` (command line wins) and reads the
 * password and CA. Paths named by the chainmail file (`passwordFile`, `ca`, `snapshot`) are
 * relative to it and must stay inside its directory: the file may come from an untrusted
 * pull request and must not make the import read, send or overwrite anything else. Inside
 * by their real paths too (symbolic links resolved): the password and CA files are read
 * through the containment reader (src/load/containment.ts: regular files only, a link
 * followed only within the directory), and the snapshot's directory must be a real
 * directory inside it, the snapshot itself no link. Paths typed on the command line are the
 * operator's and are not confined.
 */
export function resolveSettings(flags: LdapFlags, cwd: string, env: Readonly<Record<string, string | undefined>>, fromFile?: { dir: string; source: DirectorySource }): ResolvedSettings | string {
  const f = fromFile?.source;
  const dir = fromFile?.dir ?? cwd;
  const inFile = (p: string, what: string): string | { error: string } => {
    const abs = resolve(dir, p);
    const rel = relative(dir, abs);
    if (isAbsolute(p) || rel.startsWith('..') || isAbsolute(rel)) return { error: `directory.${what} ${JSON.stringify(p)} leaves the chainmail file's directory; name a file beside it` };
    return abs;
  };
  // the boundary of the files the chainmail file names: its directory, by real path
  const bounds = boundary(join(dir, 'chainmail.yaml'), [], dir);
  const reader = new ContainedReader(bounds, 2 * SMALL_FILE);
  /** A password or CA file: the operator's (command line) as named, the chainmail file's within its directory. */
  const readSetting = (flag: string | undefined, p: string | undefined, key: string, what: string): string | { error: string } | undefined => {
    if (flag !== undefined) return readSmall(resolve(cwd, flag), what);
    if (p === undefined) return undefined;
    const abs = inFile(p, key);
    if (typeof abs === 'object') return abs;
    const r = reader.read(abs, p, SMALL_FILE);
    if (r.ok) return r.bytes.toString('utf8');
    const named = `directory.${key} ${JSON.stringify(p)}`;
    switch (r.refusal.kind) {
      case 'outside':
        return { error: leadsOutside(named) };
      case 'hard-link':
        return { error: hardLinked(named, r.refusal.links) };
      case 'not-regular':
        return { error: `${named} is ${r.refusal.what}, not a regular file; name the ${what}` };
      case 'too-large':
      case 'budget':
        return { error: `the ${what} ${JSON.stringify(p)} is over 1 MiB; name the right file` };
      case 'missing':
        return { error: `the ${what} ${JSON.stringify(p)}: no such file; check the path` };
      default:
        return { error: `the ${what} ${JSON.stringify(p)}: cannot read; check the path` };
    }
  };
  const url = flags.url ?? f?.url;
  if (url === undefined) return 'name the directory: chainmail import ldap URL --base DN --system NAME, or --config FILE whose system has directory:';
  if (!/^ldaps?:\/\/[A-Za-z0-9._[\]:-]+\/?$/.test(url)) return `${JSON.stringify(url)} is not an ldap:// or ldaps:// URL with only a host and port`;
  const baseDn = flags.base ?? f?.baseDn;
  if (baseDn === undefined) return 'name the base DN: --base DN (e.g. dc=example,dc=com)';
  const bindDn = flags.bindDn ?? f?.bindDn;
  let password: string | undefined;
  const passwordEnv = flags.passwordEnv ?? (flags.passwordFile === undefined ? f?.passwordEnv : undefined);
  if (passwordEnv !== undefined) {
    password = env[passwordEnv];
    if (password === undefined || password === '') return `the environment variable ${passwordEnv} is not set; put the bind password in it`;
  } else {
    const text = readSetting(flags.passwordFile, f?.passwordFile, 'passwordFile', 'password file');
    if (typeof text === 'object') return text.error;
    if (text !== undefined) {
      password = text.split(/\r?\n/)[0] ?? '';
      if (password === '') return `the password file ${JSON.stringify(flags.passwordFile ?? f?.passwordFile)} is empty; its first line is the bind password`;
    }
  }
  if (bindDn !== undefined && password === undefined) return 'a bind DN needs a password: --password-env VAR or --password-file FILE (never on the command line)';
  const ca = readSetting(flags.ca, f?.ca, 'ca', 'CA file');
  if (typeof ca === 'object') return ca.error;
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) return `the CA file ${JSON.stringify(flags.ca ?? f?.ca)} holds no PEM certificate; give the CA certificate in PEM`;
  const outRel = flags.out ?? f?.snapshot;
  const snapshot = f?.snapshot;
  const out = flags.out !== undefined ? resolve(cwd, flags.out) : snapshot !== undefined ? snapshotPlace(inFile(snapshot, 'snapshot'), snapshot, bounds) : undefined;
  if (typeof out === 'object') return out.error;
  const query: DirectoryQuery = {
    url: url.replace(/\/$/, ''),
    baseDn,
    filter: flags.filter ?? f?.filter ?? DEFAULT_FILTER,
    addressAttribute: f?.addressAttribute ?? 'proxyAddresses',
    targetAttribute: f?.targetAttribute ?? 'targetAddress',
    ...(bindDn !== undefined ? { bindDn } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca !== undefined ? { ca } : {}),
    startTls: flags.startTls ?? f?.startTls ?? false,
    pageSize: flags.pageSize ?? 1000,
  };
  return { query, ...(out !== undefined ? { out, outShown: outRel ?? out } : {}) };
}

/** What a password or CA file may hold. */
const SMALL_FILE = 1024 * 1024;

/**
 * Where a snapshot the chainmail file names is written: in the real path of its directory,
 * which must be a directory inside the boundary, and never through a link at its own name
 * (the old snapshot is read before it is replaced).
 */
function snapshotPlace(abs: string | { error: string }, p: string, b: Boundary): string | { error: string } {
  if (typeof abs === 'object') return abs;
  const named = `directory.snapshot ${JSON.stringify(p)}`;
  let parent: string;
  try {
    parent = realpathSync.native(dirname(abs));
  } catch {
    return { error: `${named}: its directory does not exist; create it or name a file beside the chainmail file` };
  }
  if (!contains(b, parent)) return { error: leadsOutside(named) };
  const real = join(parent, basename(abs));
  try {
    const st = lstatSync(real);
    if (st.isSymbolicLink()) return { error: `${named} is a symbolic link; the snapshot is written only as a regular file: remove the link` };
    if (!st.isFile()) return { error: `${named} is not a regular file; name a file for the snapshot` };
    if (st.nlink > 1) return { error: hardLinked(named, st.nlink) };
  } catch {
    // not there yet: the first import writes it
  }
  return real;
}

function leadsOutside(named: string): string {
  return `${named} leads outside the chainmail file's directory (a symbolic link counts where it leads); name a file beside it`;
}

function hardLinked(named: string, links: number): string {
  return `${named} has ${links} hard links, so it may also be a file outside the chainmail file's directory; replace it with a copy`;
}

function readSmall(abs: string, what: string): string | { error: string } {
  try {
    const text = readFileSync(abs, 'utf8');
    if (text.length > 1024 * 1024) return { error: `the ${what} ${abs} is over 1 MiB; name the right file` };
    return text;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: `the ${what} ${abs}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? 'error'})`}; check the path` };
  }
}

/** The directory of the chainmail file, for paths it names. */
export function fileDir(file: string, cwd: string): string {
  return dirname(resolve(cwd, file));
}
