import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadRoutingTable } from '../routing/load-table.js';
import { tableIndex, type RoutingTable } from '../routing/table.js';
import type { CliIo } from './io.js';

/** `<system>/routes.json` as manifest.json lists it (docs/build.md). */
const ROUTES_FILE = /^([^/]+)\/routes\.json$/;

/**
 * The routing tables of a build output directory (`chainmail build --out DIR`), for
 * `route --routes DIR`: every `<system>/routes.json` that DIR's manifest.json lists, each
 * validated against schemas/routes.schema.json as the relay reads it. The YAML is not read:
 * the tables are the organisation as it was built (`build --check` says whether DIR is
 * stale). Returns the tables by system name, or exit code 2 after one line on stderr.
 */
export function loadRoutesDir(dir: string, io: CliIo, command: string): Map<string, RoutingTable> | number {
  const fail = (message: string): number => {
    io.stderr(`chainmail ${command}: ${message}\n`);
    return 2;
  };
  const abs = resolve(io.cwd, dir);
  const manifestFile = join(abs, 'manifest.json');
  let listed: string[];
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { files?: { path?: unknown }[] };
    listed = (Array.isArray(manifest.files) ? manifest.files : []).map((f) => f?.path).filter((p): p is string => typeof p === 'string');
  } catch (e) {
    const why = e instanceof SyntaxError ? 'not valid JSON' : ((e as NodeJS.ErrnoException).code ?? 'error');
    return fail(`cannot read ${join(dir, 'manifest.json')} (${why}); --routes names a directory written by chainmail build --out`);
  }
  const systems = listed
    .map((p) => ROUTES_FILE.exec(p)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (systems.length === 0) return fail(`${dir} holds no routes.json (its manifest lists none); build it with the routes target (chainmail build FILE --out ${dir})`);
  const tables = new Map<string, RoutingTable>();
  for (const system of systems) {
    const loaded = loadRoutingTable(join(abs, system, 'routes.json'));
    if ('error' in loaded) return fail(loaded.error.replace(abs, dir));
    // the manifest names the directory after the system: a table of another system is a mix-up
    if (loaded.table.system !== system) return fail(`${join(dir, system, 'routes.json')} is the table of system ${JSON.stringify(loaded.table.system)}, not ${JSON.stringify(system)}; rebuild ${dir} with chainmail build`);
    // the lookup maps now, as compiling the YAML makes them: not on the first route through
    // each table (that put a load cost into the routing of a list)
    tableIndex(loaded.table);
    tables.set(system, loaded.table);
  }
  return tables;
}
