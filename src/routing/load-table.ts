import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { SCHEMA_SHA256, validate as precompiled } from './routes-validator.generated.js';
import type { RoutingTable } from './table.js';

const require = createRequire(import.meta.url);
/** schemas/routes.schema.json: the shape of routes.json. */
export const routesSchema: Record<string, unknown> = require('../../schemas/routes.schema.json') as Record<string, unknown>;

/**
 * ajv's options; scripts/gen-validator.mjs generates the precompiled validator with the same.
 * `inlineRefs: false`: a recipient entry (`$defs/recipientEntry`, 100,000 of them in a large
 * table) is checked by a small function of its own, which the optimising compiler takes
 * up at once, where inlined into the one function of the whole document it was compiled
 * late and at length (a cold validation of 100k's four tables 188 ms against 263, issue 19).
 */
export const ROUTES_AJV_OPTIONS = { allErrors: false, strict: true, allowUnionTypes: true, inlineRefs: false } as const;

/** Compiles the schema with ajv at run time (what the generated validator spares). */
export function compileRoutesValidator(): ValidateFunction {
  const Ajv2020 = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js').default;
  return new Ajv2020({ ...ROUTES_AJV_OPTIONS }).compile(routesSchema);
}

let compiled: ValidateFunction | undefined;
/**
 * The validator generated at build time (scripts/gen-validator.mjs): loading ajv and
 * compiling the schema took ~0.15 s of every `route --routes` and relay start (issue 19);
 * a schema edited since then is compiled here.
 */
function validator(): ValidateFunction {
  compiled ??= SCHEMA_SHA256 === createHash('sha256').update(JSON.stringify(routesSchema)).digest('hex') ? (precompiled as ValidateFunction) : compileRoutesValidator();
  return compiled;
}

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
  return parseRoutingTable(text, file);
}

/**
 * A routes.json's text, validated: the table, or an error message naming `file` (as the
 * caller shows it) and what is wrong.
 */
export function parseRoutingTable(text: string, file: string): { table: RoutingTable } | { error: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { error: `${file}: not valid JSON (${(e as Error).message}); rebuild it with chainmail build` };
  }
  const valid = validator();
  if (!valid(data)) {
    const e = valid.errors?.[0];
    return { error: `${file}: not a chainmail routing table (${e?.instancePath || '/'} ${e?.message ?? 'invalid'}); rebuild it with chainmail build` };
  }
  const { $schema: _s, ...table } = data as RoutingTable & { $schema?: string };
  return { table };
}
