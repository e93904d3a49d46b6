import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { generate } from '../../scripts/gen-types.mjs';
import { chainmailSchema } from '../../src/validate/validate.js';
import { routesSchema } from '../../src/routing/load-table.js';

/** Every property schema, with its path, of a JSON Schema document. */
function properties(node: unknown, path: string, out: [string, Record<string, unknown>][] = []): [string, Record<string, unknown>][] {
  if (!node || typeof node !== 'object') return out;
  const n = node as Record<string, unknown>;
  for (const [k, v] of Object.entries((n['properties'] as Record<string, unknown> | undefined) ?? {})) {
    out.push([`${path}.${k}`, v as Record<string, unknown>]);
    properties(v, `${path}.${k}`, out);
  }
  for (const key of ['items', 'additionalProperties']) if (n[key] && typeof n[key] === 'object') properties(n[key], `${path}[${key}]`, out);
  for (const key of ['oneOf', 'anyOf', 'allOf']) for (const [i, v] of ((n[key] as unknown[] | undefined) ?? []).entries()) properties(v, `${path}<${key}${i}>`, out);
  for (const [k, v] of Object.entries((n['$defs'] as Record<string, unknown> | undefined) ?? {})) properties(v, `#${k}`, out);
  return out;
}

describe.each([
  ['chainmail.schema.json', chainmailSchema],
  ['routes.schema.json', routesSchema],
])('%s', (_name, schema) => {
  it('is draft 2020-12 with an $id', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['$id']).toMatch(/^https:\/\//);
  });
  it('has a description on every property (editors show them)', () => {
    const missing = properties(schema, '').filter(([, v]) => typeof v['description'] !== 'string' && typeof v['$ref'] !== 'string').map(([p]) => p);
    expect(missing).toEqual([]);
  });
  it('closes every object with additionalProperties: false (or a typed map)', () => {
    const open: string[] = [];
    const walk = (n: unknown, p: string): void => {
      if (!n || typeof n !== 'object') return;
      const o = n as Record<string, unknown>;
      if (o['properties'] && o['additionalProperties'] === undefined) open.push(p);
      for (const [k, v] of Object.entries(o)) if (v && typeof v === 'object') walk(v, `${p}/${k}`);
    };
    walk(schema, '');
    expect(open).toEqual([]);
  });
});

describe('generated model types', () => {
  it('src/model/config.generated.ts is up to date with the schema (run npm run gen:types)', async () => {
    const fresh = (await generate()) as string;
    expect(readFileSync(new URL('../../src/model/config.generated.ts', import.meta.url), 'utf8')).toBe(fresh);
  });
});
