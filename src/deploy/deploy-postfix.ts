import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MapType } from '../compile/targets/postfix/postfix.js';
import { MAP_PARAMETER, type PostfixArtifacts } from './artifacts.js';
import { DeployError } from './deploy-error.js';
import { installMaps, INDEX_SUFFIX, restoreFile, type MapSwap } from './map-install.js';
import { firstProblem, type PostfixCommands } from './postfix-commands.js';

export interface DeployPostfixOptions {
  readonly artifacts: PostfixArtifacts;
  /** Postfix's config_directory (main.cf), `postconf -c`. */
  readonly configDir: string;
  /** Where the maps go; default: the directory main.cf names. */
  readonly mapDir?: string;
  readonly mapType?: MapType;
  readonly dryRun: boolean;
  readonly commands: PostfixCommands;
  /** One line of progress (no newline). */
  log(line: string): void;
}

/** Characters postconf(5) would read as list separators, expansions or comments in a map path. */
const SAFE_DIR = /^\/[^\s#$,{}()]*$/;

/**
 * Deploys one system's Postfix artifacts (docs/postfix.md "Deploying"):
 * 1. postmap each map as `<map>.chainmail-new` beside the old one (nothing live changes yet);
 * 2. swap each map in: the old source and index are hard-linked to `*.chainmail-old`, then the new
 *    index is renamed over the old one (rename(2) is atomic per file, so Postfix reads either the
 *    old or the new table, never half of one), then the new source over the old source;
 * 3. `postconf -e` every main.cf setting (one call), 4. `postfix check`, 5. `postfix reload`
 *    when Postfix runs. When 2-5 fail, the old maps are renamed back, main.cf is restored
 *    byte for byte, and a running Postfix is reloaded onto the old configuration.
 */
export function deployPostfix(o: DeployPostfixOptions): void {
  const { configDir, commands, log } = o;
  const target = mapTarget(o);
  const settings = o.artifacts.settings.map((s) => {
    const map = Object.entries(MAP_PARAMETER).find(([, p]) => p === s.name)?.[0];
    return map ? { ...s, value: `${target.type}:${join(target.dir, map)}` } : s;
  });
  const mainCf = join(configDir, 'main.cf');
  if (!existsSync(mainCf) || !lstatSync(mainCf).isFile()) throw new DeployError(`${mainCf} is no regular file: name Postfix's config directory with --config-dir`);
  const oldMainCf = readFileSync(mainCf);
  const current = currentValues(commands, settings.map((s) => s.name));
  const changed = settings.filter((s) => current.get(s.name) !== s.value);
  const running = commands.postfix(['status']).code === 0;
  log(`${o.artifacts.dir}: ${o.artifacts.maps.size + 1} files match manifest.json`);
  if (o.dryRun) {
    if (!existsSync(target.dir)) log(`would create ${target.dir}`);
    for (const [name, bytes] of o.artifacts.maps) {
      const path = join(target.dir, name);
      const state = !existsSync(path) ? 'new' : readFileSync(path).equals(bytes) ? 'unchanged' : 'changed';
      log(`would postmap ${target.type}:${path}.chainmail-new and rename ${path}${INDEX_SUFFIX[target.type]} and ${path} into place (${state})`);
    }
    for (const s of changed) log(`would postconf -e ${JSON.stringify(`${s.name} = ${s.value}`)} (now ${JSON.stringify(current.get(s.name) ?? '')})`);
    log(`${settings.length - changed.length} of ${settings.length} main.cf settings already set`);
    log(`would run postfix check${running ? ' and postfix reload' : ' (Postfix is not running: no reload)'}; nothing was changed`);
    return;
  }
  if (!existsSync(target.dir)) {
    mkdirSync(target.dir, { recursive: true, mode: 0o755 });
    log(`created ${target.dir}`);
  }
  const unlock = lock(target.dir);
  try {
    install(o, target, settings, { mainCf, oldMainCf, changed: changed.length, running });
  } finally {
    unlock();
  }
  log(`deployed system ${JSON.stringify(o.artifacts.system)} to ${configDir} (maps in ${target.dir})`);
}

interface Before {
  readonly mainCf: string;
  readonly oldMainCf: Buffer;
  readonly changed: number;
  readonly running: boolean;
}

/** Steps 2-6, rolled back on any failure. */
function install(o: DeployPostfixOptions, target: { dir: string; type: MapType }, settings: PostfixArtifacts['settings'], b: Before): void {
  const { commands, log } = o;
  const { mainCf, oldMainCf, running } = b;
  let swaps: MapSwap[] = [];
  let step = 'postmap';
  try {
    swaps = installMaps(o.artifacts.maps, target, commands, log);
    step = 'postconf -e';
    const edit = commands.postconf(['-e', ...settings.map((s) => `${s.name} = ${s.value}`)]);
    if (edit.code !== 0) throw new DeployError(firstProblem(edit));
    log(`postconf -e: ${b.changed} of ${settings.length} settings changed in ${mainCf}`);
    step = 'postfix check';
    const check = commands.postfix(['check']);
    if (check.code !== 0 || /\b(fatal|error):/.test(check.stderr)) throw new DeployError(firstProblem(check.stderr.trim() ? check : commands.postfixOnTerminal(['check'])));
    for (const w of check.stderr.split('\n').filter((l) => /warning:/.test(l))) log(`postfix check: ${w.trim()}`);
    log('postfix check: ok');
    if (running) {
      step = 'postfix reload';
      const reload = commands.postfix(['reload']);
      if (reload.code !== 0) throw new DeployError(firstProblem(reload));
      log('postfix reload: ok');
    } else log('Postfix is not running: not reloaded (start it with postfix start)');
  } catch (e) {
    const why = e instanceof DeployError ? e.message : String(e);
    rollBack(swaps, mainCf, oldMainCf, running, commands, log);
    throw new DeployError(`${step} failed: ${why}; rolled back: the old maps and main.cf are in place`);
  }
  for (const s of swaps) s.commit();
}

/**
 * One deploy at a time per map directory: a second one would take the first one's new maps
 * for the old ones it keeps for a rollback. The lock file is created exclusively (O_EXCL).
 */
function lock(dir: string): () => void {
  const file = join(dir, '.chainmail-deploy.lock');
  try {
    writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DeployError(`cannot create ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    throw new DeployError(`${file} exists: another chainmail deploy is running, or one was killed; remove the file when none runs`);
  }
  return () => rmSync(file, { force: true });
}

function rollBack(swaps: readonly MapSwap[], mainCf: string, old: Buffer, running: boolean, commands: PostfixCommands, log: (l: string) => void): void {
  for (const s of [...swaps].reverse()) s.undo();
  if (!readFileSync(mainCf).equals(old)) restoreFile(mainCf, old);
  log(`rolled back ${swaps.length} maps and ${mainCf}`);
  // daemons started since the edit read the new main.cf: reload so that all of them run the old one
  if (running && commands.postfix(['reload']).code === 0) log('postfix reload (the old configuration): ok');
}

/** The map directory and type: the options, or what main.cf names (they must agree with each other). */
function mapTarget(o: DeployPostfixOptions): { dir: string; type: MapType } {
  const named = o.artifacts.settings
    .filter((s) => Object.values(MAP_PARAMETER).includes(s.name))
    .map((s) => /^(hash|lmdb):(\/.*)\/[^/]+$/.exec(s.value))
    .filter((m) => m !== null);
  const dirs = new Set(named.map((m) => m[2]));
  const types = new Set(named.map((m) => m[1] as MapType));
  const dir = o.mapDir ?? (dirs.size === 1 ? [...dirs][0] : undefined);
  const type = o.mapType ?? (types.size === 1 ? [...types][0] : undefined);
  if (dir === undefined || type === undefined) throw new DeployError(`${o.artifacts.dir}/main.cf names no single map directory and type: give --map-dir and --map-type`);
  if (!SAFE_DIR.test(dir)) throw new DeployError(`--map-dir ${JSON.stringify(dir)} must be an absolute path without spaces, "#", "$", ",", braces or parentheses`);
  return { dir: dir.replace(/\/+$/, '') || '/', type };
}

/** The current value of each parameter (`postconf -c DIR name...`). */
function currentValues(commands: PostfixCommands, names: readonly string[]): Map<string, string> {
  const r = commands.postconf([...new Set(names)]);
  if (r.code !== 0) throw new DeployError(`postconf cannot read the current configuration: ${firstProblem(r)}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([a-z0-9_]+) = ?(.*)$/.exec(line);
    if (m?.[1] !== undefined) out.set(m[1], m[2] ?? '');
  }
  return out;
}

