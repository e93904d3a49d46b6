import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import type { RoutingTable } from './table.js';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js').default;
/** schemas/routes.schema.json: the shape of routes.json. */
export const routesSchema: Record<string, unknown> = require('../../schemas/routes.schema.json') as Record<string, unknown>;

let compiled: ValidateFunction | undefined;

/**
 * Reads and validates a routes.json. Returns the table, or an error message naming the
 * file and what is wrong (the relay keeps its old table when a reload fails).
 *
 * @public
 */
export function loadRoutingTable(file: string): { table: RoutingTable } | { error: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { error: `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { error: `${file}: not valid JSON (${(e as Error).message}); rebuild it with chainmail build` };
  }
  compiled ??= new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true }).compile(routesSchema);
  if (!compiled(data)) {
    const e = compiled.errors?.[0];
    return { error: `${file}: not a chainmail routing table (${e?.instancePath || '/'} ${e?.message ?? 'invalid'}); rebuild it with chainmail build` };
  }
  const { $schema: _s, ...table } = data as RoutingTable & { $schema?: string };
  return { table };
}
