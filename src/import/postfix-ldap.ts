import type { DirectorySource } from '../model/config.generated.js';
import type { ImportProblem } from './postfix-maps.js';

/** An `ldap:` table of main.cf read back as a directory source (docs/directory.md). */
export interface ImportedDirectory {
  /** The main.cf parameter that names the table. */
  readonly parameter: string;
  readonly source: DirectorySource;
  readonly file: string;
  readonly line: number;
}

/**
 * Reads an ldap_table(5) configuration file (`name = value` lines, `#` comments, leading
 * white space continues a line) into a system's `directory:` setting: server_host and
 * server_port -> url, search_base -> baseDn, bind_dn -> bindDn, start_tls -> startTls, and
 * query_filter with its `%s` term made a presence test -> filter (the attribute of that
 * term is the addressAttribute). bind_pw is never read into the result: the password goes
 * in an environment variable. Returns the problem when the file cannot be a source.
 */
export function readLdapTable(text: string, file: string, parameter: string, problems: ImportProblem[]): ImportedDirectory | undefined {
  const params = new Map<string, { value: string; line: number }>();
  let last: string | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (/^\s*(#|$)/.test(line)) return;
    if (/^\s/.test(line) && last !== undefined) {
      const p = params.get(last);
      if (p) p.value = `${p.value} ${line.trim()}`;
      return;
    }
    const m = /^([A-Za-z_0-9]+)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      problems.push({ file, line: i + 1, message: 'expected "name = value" (ldap_table(5))' });
      return;
    }
    last = m[1] ?? '';
    params.set(last, { value: (m[2] ?? '').trim(), line: i + 1 });
  });
  const get = (n: string): string | undefined => params.get(n)?.value;
  const fail = (message: string): undefined => void problems.push({ file, line: 0, message });
  const host = (get('server_host') ?? 'localhost').split(/[\s,]+/).filter(Boolean)[0] ?? 'localhost';
  const port = get('server_port') ?? '389';
  const url = /^ldaps?:\/\//i.test(host) ? host.replace(/\/$/, '') : `ldap://${host}${host.includes(':') ? '' : `:${port}`}`;
  if (!/^ldaps?:\/\/[A-Za-z0-9._[\]:-]+$/.test(url)) return fail(`server_host ${JSON.stringify(host)} is not an ldap:// or ldaps:// host (ldapi:// sockets cannot be a chainmail directory)`);
  const baseDn = get('search_base');
  if (baseDn === undefined || baseDn === '') return fail('has no search_base');
  const query = get('query_filter') ?? '(mailacceptinggeneralid=%s)';
  // the term the key goes in: (attr=%s) or AD's (proxyAddresses=smtp:%s)
  const term = /\(([A-Za-z][A-Za-z0-9-]*)=((?:smtp:)?)%s\)/i.exec(query);
  if (!term) return fail(`query_filter ${JSON.stringify(query)} has no (attribute=%s) term`);
  if (/%[^s%]/.test(query.replace(term[0], ''))) return fail(`query_filter ${JSON.stringify(query)} uses %u, %d or another expansion chainmail cannot express`);
  const filter = query.replace(term[0], `(${term[1]}=${term[2]}*)`).replace(/%%/g, '%');
  const bindDn = /^(yes|true|1)$/i.test(get('bind') ?? 'yes') ? get('bind_dn') : undefined;
  return {
    parameter,
    file,
    line: 0,
    source: {
      url,
      baseDn,
      filter,
      addressAttribute: term[1] ?? 'proxyAddresses',
      ...(bindDn !== undefined && bindDn !== '' ? { bindDn, passwordEnv: 'CHAINMAIL_LDAP_PASSWORD' } : {}),
      ...(/^(yes|true|1)$/i.test(get('start_tls') ?? 'no') ? { startTls: true } : {}),
      lookups: 'ldap',
    },
  };
}
