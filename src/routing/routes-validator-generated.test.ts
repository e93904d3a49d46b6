import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { generateRoutes, ROUTES_AJV_OPTIONS as generatorOptions, ROUTES_OUT } from '../../scripts/gen-validator.mjs';
import { compileRoutesValidator, ROUTES_AJV_OPTIONS } from './load-table.js';
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
});
