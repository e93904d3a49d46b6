import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { DirectorySource } from '../../model/config.generated.js';
import { loadModel } from '../../pipeline.js';
import { validate } from '../../validate/validate.js';

/**
 * A system's `directory:` setting from the chainmail file. The first import runs before the
 * snapshot the file includes exists, so the main file is read on its own first (and its
 * setting checked against the schema); only a system defined in an included file needs the
 * whole file loaded.
 */
export function directorySetting(file: string, system: string, cwd: string): DirectorySource | string {
  const abs = resolve(cwd, file);
  if (!existsSync(abs)) return `${file}: no such file; check the path`;
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(abs, 'utf8'), { maxAliasCount: 50 });
  } catch (e) {
    return `${file}: not YAML (${(e as Error).message.split('\n')[0] ?? ''}); run chainmail lint ${file}`;
  }
  const systems = isObject(doc) && isObject(doc['systems']) ? doc['systems'] : {};
  const sys = systems[system];
  if (isObject(sys)) {
    const probe = { version: 1, systems: { [system]: { kind: sys['kind'], host: sys['host'], directory: sys['directory'] } } };
    const v = validate(probe);
    const bad = v.findings.find((f) => 'path' in f.at && f.at.path.includes('directory'));
    if (bad !== undefined) return `${file}: systems.${system}.directory: ${bad.message}`;
    const source = sys['directory'];
    return isObject(source) ? (source as unknown as DirectorySource) : `${file}: system ${JSON.stringify(system)} has no directory: setting`;
  }
  const loaded = loadModel(file, { cwd });
  if (loaded.fatal !== undefined) return loaded.fatal;
  return loaded.model?.systems.get(system)?.directory ?? `${file}: system ${JSON.stringify(system)} has no directory: setting (or it has errors: run chainmail lint ${file})`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
