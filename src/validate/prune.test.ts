import { describe, expect, it } from 'vitest';
import type { Path } from '../diagnostics/diagnostic.js';
import { validate } from './validate.js';

const system = { kind: 'postfix', host: 'mx.example.com' };

describe('validate leaves out only what failed the schema', () => {
  it.each<[string, Record<string, unknown>, Path[]]>([
    ['an unknown key: the key alone', { version: 1, systems: { a: { ...system, gatewy: true } } }, [['systems', 'a', 'gatewy']]],
    ['an unknown top-level key', { version: 1, sytems: {} }, [['sytems']]],
    ['an optional value of the wrong type: the value', { version: 1, systems: { a: { ...system, port: 'x' } } }, [['systems', 'a', 'port']]],
    ['a required value: the value, then its object', { version: 1, systems: { a: { ...system, host: 3 } } }, [['systems', 'a', 'host'], ['systems', 'a']]],
    ['a list item: the item', { version: 1, systems: { a: { ...system, mailboxes: ['x@example.com', 3, 'y@example.com'] } } }, [['systems', 'a', 'mailboxes', 1]]],
    [
      'the only item of a list that needs one: the item, the list, the object',
      { version: 1, policies: [{ name: 'p', system: 'a', addresses: [{ space: 'example.com' }] }] },
      [['policies', 0, 'addresses', 0, 'space'], ['policies', 0, 'addresses', 0], ['policies', 0, 'addresses'], ['policies', 0]],
    ],
    ['an item of a chain order: the whole order, then the chain', { version: 1, chains: [{ name: 'c', domains: ['example.com'], order: ['a', 7] }] }, [['chains', 0, 'order'], ['chains', 0]]],
    ['a bad system name: that system', { version: 1, systems: { 'a b': system, c: system } }, [['systems', 'a b']]],
  ])('%s', (_name, doc, removed) => {
    const v = validate(doc);
    expect(v.fatal).toBe(false);
    expect(v.removed).toEqual(removed);
    expect(v.findings.length).toBeGreaterThan(0);
  });

  it('keeps list indexes: a left-out item is a hole', () => {
    const v = validate({ version: 1, systems: { a: { ...system, mailboxes: ['x@example.com', 3, 'y@example.com'] } } });
    expect((v.value?.['systems'] as Record<string, { mailboxes: unknown[] }>)['a']?.mailboxes).toEqual(['x@example.com', undefined, 'y@example.com']);
  });

  it('does not change the document it was given', () => {
    const doc = { version: 1, systems: { a: { ...system, gatewy: true } } };
    validate(doc);
    expect(doc.systems.a).toEqual({ ...system, gatewy: true });
  });

  it('names systems and domains left out whole, not those that lost a key', () => {
    const v = validate({ version: 1, domains: { 'x.example': 'shared', 'y.example': { remot: true } }, systems: { a: { kind: 'postfx', host: 'h' }, b: { ...system, hots: 'h' } } });
    expect([...v.rejected.systems]).toEqual(['a']);
    expect([...v.rejected.domains]).toEqual(['x.example']);
  });

  it('leaves nothing out when version is wrong: nothing is analysed', () => {
    const v = validate({ version: 2, systems: { a: { ...system, gatewy: true } } });
    expect(v).toMatchObject({ fatal: true, removed: [] });
    expect(v.value).toBeUndefined();
  });
});
