import { join, resolve } from 'node:path';
import { boundary, ContainedReader, type Refusal } from '../load/containment.js';
import { parseRoutingTable } from '../routing/load-table.js';
import { tableIndex, type RoutingTable } from '../routing/table.js';
import type { CliIo } from './io.js';

/** `<system>/routes.json` as manifest.json lists it (docs/build.md); a system's name as the file format allows it. */
const ROUTES_FILE = /^([A-Za-z0-9][A-Za-z0-9._-]{0,62})\/routes\.json$/;

/** A file of DIR: at most this many bytes (a JavaScript string holds no more), and all of them together at most ROUTES_BUDGET. */
const ROUTES_FILE_MAX = 512 * 1024 * 1024;
const ROUTES_BUDGET = 2 * 1024 * 1024 * 1024;

/**
 * The routing tables of a build output directory (`chainmail build --out DIR`), for
 * `route --routes DIR`: every `<system>/routes.json` that DIR's manifest.json lists, each
 * validated against schemas/routes.schema.json as the relay reads it. The YAML is not read:
 * the tables are the organisation as it was built (`build --check` says whether DIR is
 * stale). DIR may be committed, so its files are input like the YAML's: only regular files
 * inside DIR are read (symbolic links resolved, as src/load/containment.ts reads includes),
 * and a manifest path that is no system's routes.json (`../routes.json`) is refused. Returns
 * the tables by system name, or exit code 2 after one line on stderr.
 */
export function loadRoutesDir(dir: string, io: CliIo, command: string): Map<string, RoutingTable> | number {
  const fail = (message: string): number => {
    io.stderr(`chainmail ${command}: ${message}\n`);
    return 2;
  };
  const abs = resolve(io.cwd, dir);
  // the boundary is DIR itself (its real path: DIR may be a symbolic link the operator made)
  const reader = new ContainedReader(boundary(join(abs, 'manifest.json'), [], abs), ROUTES_BUDGET);
  const read = (name: string): { text: string } | { error: string } => {
    const r = reader.read(join(abs, name), name, ROUTES_FILE_MAX);
    return r.ok ? { text: r.bytes.toString('utf8') } : { error: refused(join(dir, name), dir, r.refusal) };
  };
  const manifestText = read('manifest.json');
  if ('error' in manifestText) return fail(`${manifestText.error}; --routes names a directory written by chainmail build --out`);
  let listed: string[];
  try {
    const manifest = JSON.parse(manifestText.text) as { files?: { path?: unknown }[] } | null;
    listed = (Array.isArray(manifest?.files) ? manifest.files : []).map((f: { path?: unknown } | null) => f?.path).filter((p): p is string => typeof p === 'string');
  } catch {
    return fail(`cannot read ${join(dir, 'manifest.json')} (not valid JSON); --routes names a directory written by chainmail build --out`);
  }
  const systems: string[] = [];
  for (const p of listed) {
    const system = ROUTES_FILE.exec(p)?.[1];
    if (system !== undefined) systems.push(system);
    // build writes <system>/routes.json only: any other routes.json (`../routes.json`) would be read from elsewhere
    else if (p.endsWith('routes.json')) return fail(`${join(dir, 'manifest.json')} lists a routes.json that is not <system>/routes.json inside ${dir}; rebuild ${dir} with chainmail build`);
  }
  systems.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (systems.length === 0) return fail(`${dir} holds no routes.json (its manifest lists none); build it with the routes target (chainmail build FILE --out ${dir})`);
  const tables = new Map<string, RoutingTable>();
  for (const system of systems) {
    const text = read(`${system}/routes.json`);
    if ('error' in text) return fail(`${text.error}; rebuild ${dir} with chainmail build`);
    const loaded = parseRoutingTable(text.text, join(dir, system, 'routes.json'));
    if ('error' in loaded) return fail(loaded.error);
    // the manifest names the directory after the system: a table of another system is a mix-up
    if (loaded.table.system !== system) return fail(`${join(dir, system, 'routes.json')} is the table of system ${JSON.stringify(loaded.table.system)}, not ${JSON.stringify(system)}; rebuild ${dir} with chainmail build`);
    // the lookup maps now, as compiling the YAML makes them: not on the first route through
    // each table (that put a load cost into the routing of a list)
    tableIndex(loaded.table);
    tables.set(system, loaded.table);
  }
  return tables;
}

/** Why a file of DIR was not read, in one line; never its content. */
function refused(shown: string, dir: string, r: Refusal): string {
  switch (r.kind) {
    case 'missing':
      return `cannot read ${shown} (ENOENT)`;
    case 'unreadable':
      return `cannot read ${shown} (${r.code})`;
    case 'outside':
      return `${shown} leads outside ${dir} (a symbolic link counts where it leads): --routes reads only the files of the build`;
    case 'hard-link':
      return `${shown} has ${r.links} hard links, so it may also be a file outside ${dir}: replace it with a copy`;
    case 'not-regular':
      return `${shown} is ${r.what}, not a regular file`;
    case 'too-large':
      return `${shown} is over the limit of ${r.limit} bytes`;
    case 'budget':
      return `${shown} would take the bytes read over ${r.limit}`;
    case 'duplicate':
      return `${shown} is the same file as ${join(dir, r.first)}`;
  }
}
