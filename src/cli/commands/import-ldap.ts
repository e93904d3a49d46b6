import { existsSync, readFileSync } from 'node:fs';
import { DirectoryError, readDirectory } from '../../import/ldap/ldap-read.js';
import { fileDir, resolveSettings, type LdapFlags } from '../../import/ldap/settings.js';
import { SNAPSHOT_MARK, SnapshotBuilder } from '../../import/ldap/snapshot.js';
import { intOption, parse } from '../command.js';
import { UsageError, type CliIo } from '../io.js';
import { progress } from '../progress.js';
import { VERSION } from '../version.js';
import { writeAtomically } from '../write-file.js';

export const IMPORT_LDAP_HELP = `usage: chainmail import ldap URL --base DN --system NAME [options]
       chainmail import ldap --config FILE --system NAME [options]

Reads a system's recipients from Active Directory or another LDAP directory into a
snapshot file that the chainmail file includes (docs/directory.md): users and groups
become the system's mailboxes (SMTP: the address, smtp: its aliases), entries with a
targetAddress its contacts. Run again, it prints the recipients added (+), removed (-)
and changed (~).

options:
  --config FILE           take the settings from FILE's systems.NAME.directory (the
                          command line wins); the snapshot goes to its snapshot: path
  --system NAME           the system whose recipients these are (required)
  --base DN               where the subtree search starts
  --filter F              RFC 4515 filter (default (proxyAddresses=smtp:*))
  --bind-dn DN            simple bind as DN (default: anonymous)
  --password-env VAR      the bind password is in the environment variable VAR
  --password-file F       the bind password is the first line of F
  --ca FILE               PEM CA certificate(s) for ldaps:// and --starttls
  --starttls              upgrade ldap:// with StartTLS before the bind
  --page-size N           entries per page of the paged results control (default 1000)
  --out FILE              write the snapshot there (default: the file's snapshot:, else
                          standard output); it is replaced atomically
  --force                 replace an --out FILE that is not a chainmail snapshot
  --quiet                 no warnings about values left out

The password is never taken from the command line (ps shows it to every user).

Exit codes: 0 the snapshot is unchanged, 3 it was written with changes (or first written),
2 usage error, a directory that cannot be reached, a refused bind, base DN or filter (the
old snapshot is untouched).
`;

/** `chainmail import ldap`: the directory read into a snapshot, with what changed. */
export async function importLdap(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    config: { type: 'string' },
    system: { type: 'string' },
    base: { type: 'string' },
    filter: { type: 'string' },
    'bind-dn': { type: 'string' },
    'password-env': { type: 'string' },
    'password-file': { type: 'string' },
    ca: { type: 'string' },
    starttls: { type: 'boolean' },
    'page-size': { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  });
  if (values.help) {
    io.stdout(IMPORT_LDAP_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('name at most one directory URL');
  const system = values.system;
  if (system === undefined || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(system)) throw new UsageError('name the system: --system NAME (letters, digits, ".", "_", "-")');
  if (values['password-env'] !== undefined && values['password-file'] !== undefined) throw new UsageError('give --password-env or --password-file, not both');
  const pageSize = intOption('page-size', values['page-size']);
  if (pageSize !== undefined && (pageSize < 1 || pageSize > 100_000)) throw new UsageError('--page-size must be between 1 and 100000');
  const say = (line: string): void => io.stderr(`chainmail import: ${line}\n`);
  let fromFile;
  if (values.config !== undefined) {
    // loaded only here: it brings the YAML parser, the validator and the model loader (~0.2 s of start-up)
    const { directorySetting } = await import('../../import/ldap/directory-config.js');
    const source = directorySetting(values.config, system, io.cwd);
    if (typeof source === 'string') return fail(say, source);
    fromFile = { dir: fileDir(values.config, io.cwd), source };
  }
  const flags: LdapFlags = {
    ...(positionals[0] !== undefined ? { url: positionals[0] } : {}),
    ...(values.base !== undefined ? { base: values.base } : {}),
    ...(values.filter !== undefined ? { filter: values.filter } : {}),
    ...(values['bind-dn'] !== undefined ? { bindDn: values['bind-dn'] } : {}),
    ...(values['password-env'] !== undefined ? { passwordEnv: values['password-env'] } : {}),
    ...(values['password-file'] !== undefined ? { passwordFile: values['password-file'] } : {}),
    ...(values.ca !== undefined ? { ca: values.ca } : {}),
    ...(values.starttls !== undefined ? { startTls: values.starttls } : {}),
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(pageSize !== undefined ? { pageSize } : {}),
  };
  const settings = resolveSettings(flags, io.cwd, io.env, fromFile);
  if (typeof settings === 'string') return fail(say, settings);
  const { query, out, outShown } = settings;
  const old = out !== undefined && existsSync(out) ? readFileSync(out) : undefined;
  if (old !== undefined && !old.subarray(0, SNAPSHOT_MARK.length).equals(Buffer.from(SNAPSHOT_MARK)) && !values.force) return fail(say, `${outShown ?? out} exists and is not a chainmail directory snapshot; use --force to replace it`);
  if (query.password !== undefined && query.url.startsWith('ldap://') && !query.startTls && !isLoopback(query.url)) say('warning: the bind password crosses the network in clear text; use ldaps:// or --starttls');

  const builder = new SnapshotBuilder(system, query.baseDn);
  const bar = progress(io, 'chainmail import', { quiet: values.quiet });
  let count: number;
  try {
    bar.step(`reading ${query.url}`);
    count = await readDirectory(query, (e) => builder.add(e));
  } catch (e) {
    if (e instanceof DirectoryError) return fail(say, e.message);
    throw e;
  } finally {
    bar.done();
  }
  if (!values.quiet) for (const p of builder.problems) say(`warning: ${p.dn}: ${p.message}`);
  const text = builder.render({
    system,
    url: query.url,
    baseDn: query.baseDn,
    filter: query.filter,
    ...(query.bindDn !== undefined ? { bindDn: query.bindDn } : {}),
    generator: `chainmail ${VERSION}`,
  });
  if (out === undefined) {
    io.stdout(text.toString('utf8'));
    return 0;
  }
  // bytes, as the file holds them: compared and written without a string of 100,000 lines
  if (old?.equals(text) === true) {
    io.stdout(`${outShown ?? out}: unchanged (${count} entries read)\n`);
    return 0;
  }
  if (old === undefined) {
    // the first snapshot is all additions: the summary says how many, not 100,000 lines
    writeAtomically(out, text);
    io.stdout(`wrote ${outShown ?? out}: ${count} entries read; ${builder.recipientCount()} added, 0 removed, 0 changed\n`);
    return 3;
  }
  const { changeLine, diffSnapshots } = await import('../../import/ldap/snapshot-diff.js');
  const changes = diffSnapshots(old.toString('utf8'), builder.document(system));
  if (changes.length === 0 && sameHeader(old, text)) {
    io.stdout(`${outShown ?? out}: unchanged (${count} entries read)\n`);
    return 0;
  }
  writeAtomically(out, text);
  for (const c of changes) io.stdout(`${changeLine(c)}\n`);
  const n = (k: string): number => changes.filter((c) => c.kind === k).length;
  io.stdout(`wrote ${outShown ?? out}: ${count} entries read; ${n('+')} added, ${n('-')} removed, ${n('~')} changed\n`);
  return 3;
}

function fail(say: (line: string) => void, message: string): number {
  say(message);
  return 2;
}

function sameHeader(a: Buffer, b: Buffer): boolean {
  const head = (t: Buffer): Buffer => t.subarray(0, t.indexOf('\nsystems:'));
  return head(a).equals(head(b));
}

function isLoopback(url: string): boolean {
  return /^ldaps?:\/\/(127\.[0-9.]+|\[::1\]|localhost)(:|\/|$)/i.test(url);
}
