import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { generateRoutes, ROUTES_AJV_OPTIONS as generatorOptions, ROUTES_OUT } from '../../scripts/gen-validator.mjs';
import { compileRoutesValidator, ROUTES_AJV_OPTIONS, routesSchema } from './load-table.js';
import { validate as precompiled } from './routes-validator.generated.js';

const table = {
  version: 1,
  system: 'gw',
  kind: 'postfix',
  host: 'gw.example.com',
  port: 25,
  mx: false,
  gateway: true,
  hopLimit: 50,
  listsRecipients: true,
  domains: { 'example.com': { authority: 'authoritative', policy: 'p', rejectUnknown: false, remote: false } },
  recipients: { 'a@example.com': { action: 'deliver', mailbox: 'a@example.com' }, 'b@example.com': { action: 'rewrite', to: 'b@partner.example', contact: 'b' } },
  knownRecipients: [],
  connectors: [],
  unresolved: null,
};

describe('the precompiled routes.json validator', () => {
  it('is up to date with schemas/routes.schema.json (run `npm run gen:validator`)', () => {
    expect(readFileSync(ROUTES_OUT as URL, 'utf8')).toBe(generateRoutes());
  });
  it('is generated with the options of the runtime compile', () => {
    expect(generatorOptions).toEqual(ROUTES_AJV_OPTIONS);
  });
  const runtime = compileRoutesValidator();
  it.each([
    ['valid', table],
    ['wrong version', { ...table, version: 2 }],
    ['unknown key', { ...table, recipent: {} }],
    ['a recipient of neither shape', { ...table, recipients: { 'a@example.com': { action: 'deliver', to: 'x' } } }],
    ['wrong types', { ...table, port: 0, domains: { 'example.com': { authority: 'x' } } }],
  ])('answers as the runtime compile: %s', (_name, doc) => {
    const a = precompiled(doc);
    const b = runtime(doc);
    expect(a).toBe(b);
    expect(a).toBe(_name === 'valid');
    expect(JSON.parse(JSON.stringify((precompiled as unknown as { errors: unknown }).errors))).toEqual(JSON.parse(JSON.stringify(runtime.errors)));
  });

  // the recipient entry is a function of its own (inlineRefs: false, for speed): what a
  // user reads of a bad entry is the instance path and message of the first error, as the
  // inlined validator gave them
  const require = createRequire(import.meta.url);
  const Ajv2020 = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js').default;
  const inlined = new Ajv2020({ ...ROUTES_AJV_OPTIONS, inlineRefs: true }).compile(routesSchema);
  it.each<[string, unknown]>([
    ['no mailbox', { action: 'deliver' }],
    ['a mailbox not a string', { action: 'deliver', mailbox: 1 }],
    ['alias false', { action: 'deliver', mailbox: 'm', alias: false }],
    ['an unknown key', { action: 'deliver', mailbox: 'm', extra: 1 }],
    ['a rewrite without contact', { action: 'rewrite', to: 't' }],
    ['hostedBy not a string', { action: 'rewrite', to: 't', contact: 'c', hostedBy: 3 }],
    ['an unknown action', { action: 'bogus' }],
    ['empty', {}],
    ['a string', 'deliver'],
    ['null', null],
    ['a rewrite with a mailbox', { action: 'rewrite', to: 't', contact: 'c', mailbox: 'm' }],
    ['both shapes at once', { action: 'deliver', mailbox: 'm', to: 't', contact: 'c' }],
    ['an alias', { action: 'deliver', mailbox: 'm', alias: true }],
  ])('reports a recipient entry as the inlined validator did: %s', (_name, entry) => {
    const doc = { ...table, recipients: { ...table.recipients, 'c@example.com': entry } };
    const first = (v: { errors?: { instancePath: string; message?: string }[] | null }): unknown => (v.errors?.[0] ? [v.errors[0].instancePath, v.errors[0].message] : null);
    expect(precompiled(doc)).toBe(inlined(doc));
    expect(first(precompiled as never)).toEqual(first(inlined));
  });
});
