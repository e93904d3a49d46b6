import { describe, expect, it } from 'vitest';
import { escapeDnValue, fold, isSafeString, ldifLine, splitUnescaped, unescapeDnValue } from './escape.js';

describe('escapeDnValue (RFC 4514 2.4)', () => {
  it.each([
    ['Internet User', 'Internet User'],
    ['Doe, John', 'Doe\\, John'],
    ['IJsselmeer, Jan van', 'IJsselmeer\\, Jan van'],
    ['say "hi"', 'say \\"hi\\"'],
    ['a+b', 'a\\+b'],
    ['a;b', 'a\\;b'],
    ['<x>', '\\<x\\>'],
    ['a=b', 'a\\=b'],
    ['back\\slash', 'back\\\\slash'],
    [' leading', '\\ leading'],
    ['trailing ', 'trailing\\ '],
    [' ', '\\ '],
    ['  two', '\\  two'],
    ['#hash', '\\#hash'],
    ['mid#hash', 'mid#hash'],
    ['nul\0byte', 'nul\\00byte'],
    ['line\nbreak', 'line\\0Abreak'],
    ['cr\rx', 'cr\\0Dx'],
    ['山田 太郎', '山田 太郎'],
    ['=SUM(A1)', '\\=SUM(A1)'],
  ])('%j -> %j', (value, escaped) => {
    expect(escapeDnValue(value)).toBe(escaped);
    expect(unescapeDnValue(escaped)).toBe(value);
  });

  it('unescapes hex pairs into UTF-8', () => {
    expect(unescapeDnValue('\\E5\\B1\\B1\\E7\\94\\B0')).toBe('山田');
    expect(unescapeDnValue('Doe\\2C John')).toBe('Doe, John');
  });
});

describe('splitUnescaped', () => {
  it.each([
    ['a,b', ['a', 'b']],
    ['a\\,b,c', ['a\\,b', 'c']],
    [' a , b ', ['a', 'b']],
    ['a\\ ,b', ['a\\ ', 'b']],
    ['a\\\\,b', ['a\\\\', 'b']],
  ])('%j', (text, parts) => {
    expect(splitUnescaped(text)).toEqual(parts);
  });
});

describe('isSafeString (RFC 2849 SAFE-STRING)', () => {
  it.each([
    ['', true],
    ['Internet User', true],
    ['Doe, John', true],
    ['a:b', true],
    ['a<b', true],
    ['#hash', true],
    ['=formula', true],
    [' leading space', false],
    [':colon', false],
    ['<less', false],
    ['trailing space ', false],
    ['nul\0', false],
    ['line\nbreak', false],
    ['cr\rx', false],
    ['山田 太郎', false],
    ['café', false],
  ])('%j -> %s', (value, safe) => {
    expect(isSafeString(value)).toBe(safe);
  });
});

describe('ldifLine', () => {
  it('writes safe values plainly and the rest as base64 of UTF-8', () => {
    expect(ldifLine('cn', 'Doe, John')).toBe('cn: Doe, John');
    expect(ldifLine('cn', '山田 太郎')).toBe('cn:: 5bGx55SwIOWkqumDjg==');
    expect(ldifLine('cn', ' x')).toBe('cn:: IHg=');
  });

  it('folds long lines at 76 columns; unfolding restores the line', () => {
    const value = '山田'.repeat(40);
    const line = ldifLine('displayName', value);
    const lines = line.split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(76);
    expect(lines.slice(1).every((l) => l.startsWith(' '))).toBe(true);
    const unfolded = lines.map((l, i) => (i === 0 ? l : l.slice(1))).join('');
    expect(Buffer.from(unfolded.replace(/^displayName:: /, ''), 'base64').toString('utf8')).toBe(value);
  });

  it('keeps a space that falls on a fold', () => {
    const line = `x: ${'a'.repeat(73)} b`;
    expect(fold(line).split('\n')[1]).toBe('  b');
  });
});
