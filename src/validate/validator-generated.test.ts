import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { AJV_OPTIONS as generatorOptions, generate, OUT } from '../../scripts/gen-validator.mjs';
import { validate as precompiled } from './chainmail-validator.generated.js';
import { AJV_OPTIONS, compileValidator } from './validate.js';

describe('the precompiled schema validator', () => {
  it('is up to date with schemas/chainmail.schema.json (run `npm run gen:validator`)', () => {
    expect(readFileSync(OUT as URL, 'utf8')).toBe(generate());
  });
  it('is generated with the options of the runtime compile', () => {
    expect(generatorOptions).toEqual(AJV_OPTIONS);
  });
  it('reports parentSchema (verbose), which the messages read', () => {
    expect(precompiled({ version: 2 })).toBe(false);
    const [error] = (precompiled as unknown as { errors: { parentSchema?: { description?: string } }[] }).errors;
    expect(error?.parentSchema?.description).toMatch(/version/i);
  });
});

describe('the precompiled and the runtime-compiled validator', () => {
  const runtime = compileValidator();
  it.each([
    ['valid', { version: 1, name: 'x' }],
    ['wrong version', { version: 2 }],
    ['unknown key', { version: 1, sytems: {} }],
    ['wrong types', { version: 1, name: '', systems: { a: { kind: 'nope', domains: 3 } }, policies: [{}] }],
  ])('report the same errors: %s', (_name, doc) => {
    const a = precompiled(doc);
    const b = runtime(doc);
    expect(a).toBe(b);
    expect(JSON.parse(JSON.stringify((precompiled as unknown as { errors: unknown }).errors))).toEqual(JSON.parse(JSON.stringify(runtime.errors)));
  });
});
