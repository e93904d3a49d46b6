import { posix } from 'node:path';
import type { PostfixInput } from './postfix.js';
import { readLdapTable, type ImportedDirectory } from './postfix-ldap.js';
import { expand, INDEXED_TYPES, listItems, parseMainCf, parseMap, type ImportProblem, type MainCfParam, type MapEntry } from './postfix-maps.js';

/**
 * Finds and reads the map sources of one Postfix system: from a directory that holds
 * them (the layout `chainmail build` writes: DIR/<system>/postfix/), or through a main.cf
 * that names them. The file system is passed in, so this stays testable without one.
 */
export interface FileSystem {
  /** The file's text, or undefined when it does not exist; a directory is `'dir'`. */
  read(path: string): string | undefined | 'dir';
}

export interface PostfixFiles {
  readonly input: PostfixInput;
  /** main.cf myhostname, when set. */
  readonly myhostname?: string;
  readonly errors: readonly ImportProblem[];
  readonly warnings: readonly ImportProblem[];
}

/** The map files `chainmail build` writes, by main.cf parameter. */
const MAP_FILES = { relay_domains: 'relay_domains', transport_maps: 'transport', relay_recipient_maps: 'relay_recipients', virtual_alias_maps: 'virtual' } as const;

/**
 * Reads DIR (or DIR's main.cf, or the main.cf given). `shown` is how the user named it,
 * for messages. Returns a one-line message when there is nothing to read.
 */
export function readPostfix(abs: string, shown: string, fs: FileSystem): PostfixFiles | string {
  const top = fs.read(abs);
  if (top === undefined) return `${shown}: no such file or directory; name the directory with the maps or a main.cf`;
  const dir = top === 'dir' ? abs : posix.dirname(abs);
  const shownDir = top === 'dir' ? shown : posix.dirname(shown);
  const show = (path: string): string => (path.startsWith(`${dir}/`) ? posix.join(shownDir, path.slice(dir.length + 1)) : path);
  const mainCf = top === 'dir' ? fs.read(posix.join(dir, 'main.cf')) : top;
  const errors: ImportProblem[] = [];
  const warnings: ImportProblem[] = [];
  const sources: string[] = [];
  const readMap = (path: string, needsValue: boolean): MapEntry[] | undefined => {
    const text = fs.read(path);
    if (text === undefined || text === 'dir') return undefined;
    sources.push(show(path));
    return parseMap(text, show(path), needsValue, errors);
  };

  if (typeof mainCf !== 'string') {
    // a directory of maps without main.cf: the names chainmail build writes
    const at = (f: string): string => posix.join(dir, f);
    const relayDomains = readMap(at('relay_domains'), false);
    const transport = readMap(at('transport'), true);
    const relayRecipients = readMap(at('relay_recipients'), false);
    const virtual = readMap(at('virtual'), true);
    if (!relayDomains && !transport && !relayRecipients && !virtual) {
      return `${shown} has no main.cf and none of relay_domains, transport, relay_recipients, virtual; name the directory with the map source files`;
    }
    if (!relayRecipients) warnings.push({ file: shown, line: 0, message: 'no relay_recipients: every recipient of a relay domain is taken as accepted' });
    const input: PostfixInput = { relayDomains: relayDomains ?? [], transport: transport ?? [], relayRecipients, virtual: virtual ?? [], sources };
    return { input, errors, warnings };
  }

  const cfPath = top === 'dir' ? posix.join(dir, 'main.cf') : abs;
  const cfShown = show(cfPath);
  sources.push(cfShown);
  const params = parseMainCf(mainCf, cfShown, errors);
  const directories: ImportedDirectory[] = [];
  /** The entries of every table a parameter names (undefined when the parameter is empty). */
  const tables = (name: keyof typeof MAP_FILES | 'relayhost', needsValue: boolean, domainsList: boolean): MapEntry[] | undefined => {
    const p: MainCfParam | undefined = params.get(name);
    if (!p) return undefined;
    const { value, unknown } = expand(params, name);
    for (const u of unknown) warnings.push({ file: cfShown, line: p.line, message: `${name} uses $${u}, which this main.cf does not set (Postfix's built-in default is not known here): taken as empty` });
    const out: MapEntry[] = [];
    for (const item of listItems(value)) {
      if (item.kind === 'value') {
        if (domainsList) out.push({ key: item.value.toLowerCase(), value: '', file: cfShown, line: p.line });
        else warnings.push({ file: cfShown, line: p.line, message: `${name}: ${JSON.stringify(item.value)} is no lookup table: left out` });
        continue;
      }
      if (item.kind === 'file' && domainsList) {
        // "/file/name" in relay_domains: a file of domain patterns, any number per line
        const text = fs.read(locate(item.path));
        if (typeof text !== 'string') {
          errors.push({ file: cfShown, line: p.line, message: `${name} names ${item.path}, which cannot be read (nor ${posix.basename(item.path)} beside main.cf)` });
          continue;
        }
        sources.push(show(locate(item.path)));
        for (const e of parseMap(text, show(locate(item.path)), false, errors)) {
          for (const d of `${e.key} ${e.value}`.split(/[\s,]+/).filter(Boolean)) out.push({ ...e, key: d.toLowerCase(), value: '' });
        }
        continue;
      }
      if (item.kind === 'table' && item.type === 'ldap') {
        // an ldap_table(5) file: its query becomes a directory source (docs/directory.md)
        const path = locate(item.name);
        const text = fs.read(path);
        if (typeof text !== 'string') {
          errors.push({ file: cfShown, line: p.line, message: `${name} names ${item.raw}, but neither ${item.name} nor ${posix.join(shownDir, posix.basename(item.name))} can be read; copy it beside main.cf` });
          continue;
        }
        sources.push(show(path));
        const d = readLdapTable(text, show(path), name, warnings);
        if (d) directories.push({ ...d, file: cfShown, line: p.line });
        continue;
      }
      if (item.kind === 'file' || !INDEXED_TYPES.has(item.type)) {
        warnings.push({ file: cfShown, line: p.line, message: `${name}: ${item.kind === 'file' ? item.path : item.raw} cannot be imported (only ${[...INDEXED_TYPES].join(', ')} tables have a text source): left out` });
        continue;
      }
      const path = locate(item.name);
      const entries = readMap(path, needsValue);
      if (!entries) {
        errors.push({ file: cfShown, line: p.line, message: `${name} names ${item.raw}, but neither ${item.name} nor ${posix.join(shownDir, posix.basename(item.name))} can be read; copy its source file beside main.cf` });
        continue;
      }
      out.push(...entries);
    }
    return out;
  };
  // a file of the same name beside main.cf first: a copied configuration names /etc/postfix/...
  const locate = (path: string): string => {
    const beside = posix.join(dir, posix.basename(path));
    return typeof fs.read(beside) === 'string' ? beside : path;
  };

  const relayDomains = tables('relay_domains', false, true) ?? [];
  const transport = tables('transport_maps', true, false) ?? [];
  const relayRecipients = tables('relay_recipient_maps', false, false);
  const virtual = tables('virtual_alias_maps', true, false) ?? [];
  const hop = params.get('hopcount_limit');
  // hopcount_limit counts the Received: header Postfix adds itself; hopLimit counts the ones a
  // message arrives with (docs/postfix.md), so a system bounces at the same message
  const hopLimit = hop && /^\d+$/.test(hop.value) ? Math.max(1, Number(hop.value) - 1) : undefined;
  if (hop && hopLimit === undefined) errors.push({ file: cfShown, line: hop.line, message: `hopcount_limit ${JSON.stringify(hop.value)} is not a number` });
  const relayhost = params.get('relayhost');
  const myhostname = params.get('myhostname');
  const input: PostfixInput = {
    relayDomains,
    transport,
    relayRecipients,
    virtual,
    ...(hopLimit !== undefined ? { hopLimit } : {}),
    ...(directories.length > 0 ? { directories } : {}),
    ...(relayhost ? { relayhost: { value: expand(params, 'relayhost').value.trim(), file: cfShown, line: relayhost.line } } : {}),
    sources: [...new Set(sources)],
  };
  const host = myhostname ? expand(params, 'myhostname').value.trim() : '';
  return { input, ...(host !== '' && !host.includes('$') ? { myhostname: host } : {}), errors, warnings };
}
