import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST } from '../compile/emit.js';
import { POSTFIX_MAPS } from '../compile/targets/postfix/postfix.js';
import { DeployError } from './deploy-error.js';

/** The largest artifact file deploy reads (a map of a million recipients is ~50 MB). */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

/**
 * The main.cf parameters chainmail's postfix target writes (src/compile/targets/postfix/main-cf.ts
 * and its helpers); deploy applies no other. An artifact directory is data: a main.cf that
 * sets `command_directory` or `mail_owner` was not written by chainmail.
 */
export const DEPLOYABLE_PARAMETERS: ReadonlySet<string> = new Set([
  'default_transport',
  'hopcount_limit',
  'luser_relay',
  'mailbox_size_limit',
  'message_size_limit',
  'mydestination',
  'mynetworks',
  'parent_domain_matches_subdomains',
  'relay_domains',
  'relay_recipient_maps',
  'relayhost',
  'smtpd_reject_unlisted_recipient',
  'smtpd_relay_restrictions',
  'smtpd_sasl_auth_enable',
  'smtpd_tls_auth_only',
  'smtputf8_enable',
  'transport_maps',
  'unknown_relay_recipient_reject_code',
  'virtual_alias_maps',
  'virtual_mailbox_limit',
]);

/** The main.cf parameter that names each map (relay_domains names the relay_domains map). */
export const MAP_PARAMETER: Readonly<Record<(typeof POSTFIX_MAPS)[number], string>> = {
  relay_domains: 'relay_domains',
  relay_recipients: 'relay_recipient_maps',
  transport: 'transport_maps',
  virtual: 'virtual_alias_maps',
};

/** One system's verified Postfix artifacts. */
export interface PostfixArtifacts {
  readonly system: string;
  /** `DIR/<system>/postfix`, for messages. */
  readonly dir: string;
  /** The four map sources, by map name, as built. */
  readonly maps: ReadonlyMap<(typeof POSTFIX_MAPS)[number], Buffer>;
  /** main.cf's settings in file order, comments and blank lines left out. */
  readonly settings: readonly { readonly name: string; readonly value: string; readonly line: number }[];
}

/**
 * Reads `DIR/<system>/postfix/` of a `chainmail build` output as untrusted data: every path
 * component a real directory, every file a regular file opened without following a
 * symlink (O_NOFOLLOW), its sha256 the one manifest.json lists, main.cf only
 * `name = value` lines of {@link DEPLOYABLE_PARAMETERS}. Throws a {@link DeployError}.
 */
export function readPostfixArtifacts(dir: string, system: string | undefined): PostfixArtifacts {
  realDir(dir, 'the build directory');
  const manifest = parseManifest(readRegular(join(dir, MANIFEST)), join(dir, MANIFEST));
  const name = system ?? onlySystem(dir, manifest);
  if (!/^[^/\0]+$/.test(name) || name === '.' || name === '..') throw new DeployError(`--system ${JSON.stringify(name)} is no system directory name`);
  const sysDir = join(dir, name, 'postfix');
  realDir(join(dir, name), `system ${JSON.stringify(name)}`);
  realDir(sysDir, `system ${JSON.stringify(name)}`);
  const read = (file: string): Buffer => {
    const path = join(sysDir, file);
    const rel = `${name}/postfix/${file}`;
    const want = manifest.get(rel);
    if (want === undefined) throw new DeployError(`${join(dir, MANIFEST)} lists no ${rel}: deploy only what chainmail build wrote (rebuild)`);
    const bytes = readRegular(path);
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== want) throw new DeployError(`${path} was changed after the build (sha256 ${got.slice(0, 12)}..., manifest.json says ${want.slice(0, 12)}...): rebuild with chainmail build`);
    return bytes;
  };
  const maps = new Map(POSTFIX_MAPS.map((m) => [m, read(m)] as const));
  const mainCf = join(sysDir, 'main.cf');
  return { system: name, dir: sysDir, maps, settings: parseMainCf(read('main.cf').toString('utf8'), mainCf) };
}

/** `name = value` lines; `#` comments and blank lines are skipped (postconf -e takes neither). */
export function parseMainCf(text: string, file: string): PostfixArtifacts['settings'] {
  const out: { name: string; value: string; line: number }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([a-z0-9_]+) = ?(.*)$/.exec(line);
    const where = `${file}:${i + 1}`;
    if (!m) throw new DeployError(`${where}: expected "name = value", as chainmail build writes it`);
    const [, name = '', value = ''] = m;
    if (!DEPLOYABLE_PARAMETERS.has(name)) throw new DeployError(`${where}: ${JSON.stringify(name)} is no parameter chainmail writes; deploy applies only ${[...DEPLOYABLE_PARAMETERS].join(', ')}`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) throw new DeployError(`${where}: the value of ${name} holds a control character`);
    out.push({ name, value, line: i + 1 });
  });
  return out;
}

function realDir(path: string, what: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    throw new DeployError(`${path} does not exist: name the --out directory of chainmail build (${what})`);
  }
  if (st.isSymbolicLink()) throw new DeployError(`${path} is a symbolic link: deploy reads only real directories (${what})`);
  if (!st.isDirectory()) throw new DeployError(`${path} is no directory (${what})`);
}

/** The bytes of a regular file, never through a symlink, at most MAX_FILE_BYTES. */
function readRegular(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new DeployError(`${path} is a symbolic link: deploy reads only regular files`);
    if (code === 'ENOENT') throw new DeployError(`${path} does not exist: rebuild with chainmail build`);
    throw new DeployError(`${path} cannot be read (${code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new DeployError(`${path} is no regular file`);
    if (st.size > MAX_FILE_BYTES) throw new DeployError(`${path} is larger than ${MAX_FILE_BYTES} bytes`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

function parseManifest(bytes: Buffer, path: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new DeployError(`${path} is no JSON: name the --out directory of chainmail build`);
  }
  const files = (json as { version?: unknown; files?: unknown } | null)?.files;
  if ((json as { version?: unknown }).version !== 1 || !Array.isArray(files)) throw new DeployError(`${path} is no chainmail manifest (version 1 with files)`);
  const out = new Map<string, string>();
  for (const f of files as { path?: unknown; sha256?: unknown }[]) {
    if (typeof f?.path === 'string' && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256)) out.set(f.path, f.sha256);
  }
  return out;
}

/** The one system of the build with Postfix artifacts, or a DeployError listing them. */
function onlySystem(dir: string, manifest: Map<string, string>): string {
  const systems = [...new Set([...manifest.keys()].filter((p) => /^[^/]+\/postfix\/main\.cf$/.test(p)).map((p) => p.split('/')[0] ?? ''))].sort();
  if (systems.length === 1) return systems[0] ?? '';
  if (systems.length === 0) throw new DeployError(`${dir} holds no Postfix artifacts: build with --target postfix (systems of kind postfix, or --postfix-for)`);
  throw new DeployError(`${dir} holds Postfix artifacts of ${systems.map((s) => JSON.stringify(s)).join(', ')}: name one with --system`);
}
