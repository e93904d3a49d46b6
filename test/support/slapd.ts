import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool, freePort, run, type RunResult } from './tools.js';

/** The schema with Active Directory's contact attributes (targetAddress, proxyAddresses, ...). */
export const AD_CONTACT_SCHEMA: string = fileURLToPath(new URL('./ad-contact.schema', import.meta.url));

const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';

/** A private OpenLDAP server on loopback. */
export interface Slapd {
  /** `ldap://127.0.0.1:PORT/` */
  readonly url: string;
  /** `ldaps://127.0.0.1:PORT/` when started with `ldaps: true`. */
  readonly ldapsUrl?: string;
  readonly bindDn: string;
  readonly password: string;
  readonly suffix: string;
  /** The temp dir that holds slapd.conf, the pid file and the mdb database. */
  readonly dir: string;
  /** Kills slapd (SIGTERM, then SIGKILL) and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface SlapdOptions {
  /** The database suffix, e.g. the model's `directory.baseDn` (`dc=xo,dc=one`). */
  readonly suffix: string;
  /** Create the suffix entry itself (objectClass domain / organization / organizationalUnit); default true. */
  readonly baseEntry?: boolean;
  /** More schema files, after the AD contact schema (e.g. test/support/ad-directory.schema). */
  readonly schemas?: readonly string[];
  /** slapd.conf lines before `database` (TLS certificates, global limits). */
  readonly globalConfig?: readonly string[];
  /** slapd.conf lines after the database's own (access, limits, sizelimit). */
  readonly databaseConfig?: readonly string[];
  /** LDIF loaded with slapadd after the base entry, before slapd starts (fast for thousands). */
  readonly seed?: string;
  /** Also listen on ldaps:// (needs TLSCertificateFile in globalConfig); see `Slapd.ldapsUrl`. */
  readonly ldaps?: boolean;
}

function tool(name: string): string {
  const p = findTool(name);
  if (!p) throw new Error(`${name} not found: run .ci/install-system-packages.sh`);
  return p;
}

/** The LDIF of the suffix entry, chosen by the suffix's first RDN type. */
export function baseEntryLdif(suffix: string): string {
  const m = /^\s*([A-Za-z]+)=([^,+\\]+)(?:,|$)/.exec(suffix);
  if (!m) throw new Error(`cannot make a base entry for ${JSON.stringify(suffix)}`);
  const type = (m[1] ?? '').toLowerCase();
  const value = (m[2] ?? '').trim();
  const classes: Record<string, string> = { dc: 'domain', o: 'organization', ou: 'organizationalUnit' };
  const oc = classes[type];
  if (!oc) throw new Error(`base entry: unsupported RDN type ${JSON.stringify(type)} (use dc=, o= or ou=)`);
  return `dn: ${suffix}\nobjectClass: top\nobjectClass: ${oc}\n${type}: ${value}\n`;
}

const running = new Set<number>();
process.once('exit', () => {
  // A test that crashed before afterAll must not leave a daemon behind.
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A daemon that exited but was not reaped yet (a container whose pid 1 does not reap) is a
  // zombie: signal 0 still succeeds, yet it is gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

/**
 * Starts a private slapd (slapd.conf style, back-mdb) as the current user on
 * 127.0.0.1:<free port>, with core, cosine, inetorgperson and the AD contact schema.
 * slapd forks into the background once its listener is bound, so it is ready on return.
 */
export async function startSlapd(options: SlapdOptions): Promise<Slapd> {
  const slapd = tool('slapd');
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-slapd-'));
  const db = join(dir, 'db');
  mkdirSync(db);
  const bindDn = `cn=admin,${options.suffix}`;
  const password = 'chainmail-test';
  const conf = join(dir, 'slapd.conf');
  const pidFile = join(dir, 'slapd.pid');
  writeFileSync(
    conf,
    [
      ...['core', 'cosine', 'inetorgperson'].map((s) => `include ${SCHEMA_DIR}/${s}.schema`),
      `include ${AD_CONTACT_SCHEMA}`,
      ...(options.schemas ?? []).map((s) => `include ${s}`),
      ...(options.globalConfig ?? []),
      `pidfile ${pidFile}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      `modulepath ${MODULE_DIR}`,
      'moduleload back_mdb',
      'database mdb',
      `suffix "${options.suffix}"`,
      `rootdn "${bindDn}"`,
      // Cleartext rootpw is fine for a throw-away loopback server.
      `rootpw ${password}`,
      `directory ${db}`,
      'maxsize 268435456',
      ...(options.databaseConfig ?? []),
      '',
    ].join('\n'),
  );
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    if (options.baseEntry !== false || options.seed !== undefined) {
      const ldif = `${options.baseEntry !== false ? `${baseEntryLdif(options.suffix)}\n` : ''}${options.seed ?? ''}`;
      // -q: no consistency checks, the fast bulk load slapadd(8) is made for
      const add = await run(tool('slapadd'), ['-q', '-f', conf], ldif);
      if (add.code !== 0) throw new Error(`slapadd of the base entry failed: ${add.stderr.trim()}`);
    }
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const url = `ldap://127.0.0.1:${port}/`;
      const ldapsUrl = options.ldaps === true ? `ldaps://127.0.0.1:${await freePort()}/` : undefined;
      const started = await run(slapd, ['-f', conf, '-h', ldapsUrl !== undefined ? `${url} ${ldapsUrl}` : url]);
      if (started.code === 0 && existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        running.add(pid);
        let stopped = false;
        const stop = async (): Promise<void> => {
          if (stopped) return;
          stopped = true;
          if (alive(pid)) {
            process.kill(pid, 'SIGTERM');
            if (!(await waitGone(pid, 5000))) process.kill(pid, 'SIGKILL');
            await waitGone(pid, 2000);
          }
          running.delete(pid);
          cleanup();
        };
        return { url, ...(ldapsUrl !== undefined ? { ldapsUrl } : {}), bindDn, password, suffix: options.suffix, dir, stop };
      }
      last = started.stderr.trim() || `exit ${started.code}`;
    }
    throw new Error(`slapd did not start: ${last}`);
  } catch (e) {
    cleanup();
    throw e;
  }
}

/** Runs the real `ldapadd` (simple bind as the root DN) with LDIF on standard input. */
export async function ldapadd(server: Slapd, ldif: string | Uint8Array): Promise<RunResult> {
  return run(tool('ldapadd'), ['-x', '-H', server.url, '-D', server.bindDn, '-w', server.password], ldif);
}

/** An entry read back: the DN as the server prints it, attribute name -> values (decoded). */
export interface LdapEntry {
  readonly dn: string;
  readonly attributes: ReadonlyMap<string, readonly string[]>;
}

export interface SearchOptions {
  readonly base?: string;
  readonly filter?: string;
  readonly scope?: 'base' | 'one' | 'sub';
  readonly attributes?: readonly string[];
}

/**
 * Runs the real `ldapsearch` and parses its LDIF: values that ldapsearch prints base64
 * (`attr:: ...`, e.g. every non-ASCII value) are decoded as UTF-8.
 */
export async function ldapsearch(server: Slapd, options: SearchOptions = {}): Promise<LdapEntry[]> {
  const args = ['-LLL', '-x', '-o', 'ldif-wrap=no', '-H', server.url, '-D', server.bindDn, '-w', server.password];
  args.push('-b', options.base ?? server.suffix, '-s', options.scope ?? 'sub', options.filter ?? '(objectClass=*)');
  args.push(...(options.attributes ?? []));
  const r = await run(tool('ldapsearch'), args);
  if (r.code !== 0) throw new Error(`ldapsearch failed (${r.code}): ${r.stderr.trim()}`);
  return parseLdif(r.stdout);
}

/**
 * A small RFC 2849 content reader for tests: comments, folded lines, `::` base64 and
 * `version:`; attribute names keep their case as printed. Change records are read as
 * plain entries (the `changetype` line is kept as an attribute).
 */
export function parseLdif(text: string): LdapEntry[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const unfolded: string[] = [];
  for (const line of lines) {
    if (line.startsWith(' ') && unfolded.length > 0) unfolded[unfolded.length - 1] += line.slice(1);
    else unfolded.push(line);
  }
  const entries: LdapEntry[] = [];
  let dn: string | undefined;
  let attrs = new Map<string, string[]>();
  const flush = (): void => {
    if (dn !== undefined) entries.push({ dn, attributes: attrs });
    dn = undefined;
    attrs = new Map();
  };
  for (const line of unfolded) {
    if (line === '') {
      flush();
      continue;
    }
    if (line.startsWith('#')) continue;
    // value-spec = ":" FILL SAFE-STRING / "::" FILL BASE64-STRING; FILL is any number of spaces.
    const m = /^([A-Za-z0-9;.-]+):(:?) *(.*)$/.exec(line);
    if (!m) throw new Error(`not an LDIF line: ${JSON.stringify(line)}`);
    const name = m[1] ?? '';
    const value = m[2] === ':' ? Buffer.from((m[3] ?? '').trim(), 'base64').toString('utf8') : (m[3] ?? '');
    if (name.toLowerCase() === 'version' && dn === undefined) continue;
    if (name.toLowerCase() === 'dn') {
      flush();
      dn = value;
      continue;
    }
    const list = attrs.get(name) ?? [];
    list.push(value);
    attrs.set(name, list);
  }
  flush();
  return entries;
}
