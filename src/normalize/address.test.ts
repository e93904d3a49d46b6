import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddress, parseDomain, parseHost } from './address.js';
import { foldCase } from './casefold.js';

describe('parseDomain', () => {
  it.each([
    ['example.com', 'example.com', undefined],
    ['Example.COM', 'example.com', undefined],
    ['例え.jp', 'xn--r8jz45g.jp', undefined],
    ['xn--r8jz45g.jp', 'xn--r8jz45g.jp', undefined],
    ['EXAMPLE.com.', 'example.com', undefined],
    ['bücher.example', 'xn--bcher-kva.example', undefined],
  ])('%s -> %s', (input, ascii, error) => {
    const d = parseDomain(input);
    expect(d.ascii).toBe(ascii);
    expect(d.error).toBe(error);
    expect(d.display).toBe(input);
  });

  it('keeps the Unicode form for reports', () => {
    expect(parseDomain('xn--r8jz45g.jp').unicode).toBe('例え.jp');
  });

  it.each(['', 'localhost', 'exa mple.com', 'a..b', '-a.com', 'a-.com', 'under_score.com', '1.2.3.4', `${'a'.repeat(64)}.com`, 'a@b.com', '[1.2.3.4]'])(
    'rejects %j',
    (input) => {
      const d = parseDomain(input);
      expect(d.ascii).toBe('');
      expect(d.error).toBeTruthy();
    },
  );
});

describe('parseAddress', () => {
  it.each([
    ['alice@example.com', 'alice@example.com'],
    ['Alice@Example.COM', 'alice@example.com'],
    ['internetUser@remote.domain', 'internetuser@remote.domain'],
    ['たろう@例え.jp', 'たろう@xn--r8jz45g.jp'],
    ['"john doe"@example.com', '"john doe"@example.com'],
    ['"user@other"@example.com', '"user@other"@example.com'],
    ['user%other@example.com', 'user%other@example.com'],
    ['o.k+tag@example.com', 'o.k+tag@example.com'],
  ])('%s has key %s', (input, key) => {
    const a = parseAddress(input);
    expect(a.error).toBeUndefined();
    expect(a.key).toBe(key);
  });

  it.each([
    ['alice', 'is not of the form local@domain'],
    ['@example.com', 'is not of the form local@domain'],
    ['alice@', 'is not of the form local@domain'],
    ['.alice@example.com', 'leading, trailing or double dot'],
    ['al..ice@example.com', 'leading, trailing or double dot'],
    ['al ice@example.com', 'not allowed in a local part'],
    ['alice@[192.168.1.1]', 'address literal'],
    ['alice@localhost', 'at least two labels'],
    [`${'x'.repeat(65)}@example.com`, 'longer than 64 octets'],
    ['"unterminated@example.com', 'not of the form'],
  ])('rejects %j (%s)', (input, why) => {
    const a = parseAddress(input);
    expect(a.key).toBe('');
    expect(a.error).toContain(why);
  });
});

describe('parseHost', () => {
  it.each([
    ['[192.168.1.10]', { host: '192.168.1.10', bracketed: true, isIp: true }],
    ['[192.168.1.10]:2525', { host: '192.168.1.10', bracketed: true, isIp: true, port: 2525 }],
    ['192.168.1.10', { host: '192.168.1.10', bracketed: false, isIp: true }],
    ['mail.Example.com', { host: 'mail.example.com', bracketed: false, isIp: false }],
    ['backup.example.net:2525', { host: 'backup.example.net', bracketed: false, isIp: false, port: 2525 }],
    ['[mail.example.com]', { host: 'mail.example.com', bracketed: true, isIp: false }],
    ['[IPv6:2001:db8::1]', { host: '2001:db8::1', bracketed: true, isIp: true }],
    ['[2001:db8::1]:25', { host: '2001:db8::1', bracketed: true, isIp: true, port: 25 }],
    ['2001:db8::1', { host: '2001:db8::1', bracketed: false, isIp: true }],
    ['[例え.jp]', { host: 'xn--r8jz45g.jp', bracketed: true, isIp: false }],
  ])('%s', (raw, want) => {
    const h = parseHost(raw);
    expect(h.error).toBeUndefined();
    expect(h).toMatchObject(want);
  });

  it.each(['[192.168.1.10', '[1.2.3.4]x', 'host:0', 'host:70000', ' host.example.com', 'bad_host.example.com', 'localhost'])('rejects %j', (raw) => {
    expect(parseHost(raw).error).toBeTruthy();
  });
});

describe('comparison keys', () => {
  // the key is folded as one string (a flat string for the maps that compare keys): it must
  // equal the local part folded on its own, "@", and the A-label, for any local part
  // (folding is per code point: no final-sigma context, unlike toLowerCase)
  it('equal the local part folded alone, "@" and the domain (fast-check)', () => {
    const local = fc.string({ unit: fc.constantFrom('a', 'Z', '.', '-', '_', "'", 'Σ', 'σ', 'ς', 'Α', 'İ', 'ß', 'Ä', '例', '\u0301'), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(local, fc.constantFrom('example.com', 'EXAMPLE.com', '例え.jp', 'bücher.example'), (l, d) => {
        const a = parseAddress(`${l}@${d}`);
        if (a.key === '') return;
        expect(a.key).toBe(`${foldCase(l)}@${a.domain.ascii}`);
      }),
      { numRuns: 3000 },
    );
    // Postfix's folding (casefold.ts): final ς is σ, ß is ss
    expect(parseAddress('ΟΔΥΣΣΕΥΣ@example.com').key).toBe('οδυσσευσ@example.com');
    expect(parseAddress('οδυσσευς@example.com').key).toBe('οδυσσευσ@example.com');
    expect(parseAddress('Straße@example.com').key).toBe(parseAddress('STRASSE@example.com').key);
  });
});

describe('parseAddress results', () => {
  // one object literal per outcome (no spread of an optional `error`): the keys and their
  // order must stay what they were, `error` present exactly when the key is empty
  it('have display, local, domain, key, and error only when invalid (fast-check)', () => {
    const unit = fc.constantFrom('a', 'Z', '.', '..', '"', '\\', ' ', '@', '-', '+', 'ß', 'İ', '例', 'xn--', '[', '1');
    const text = fc.string({ unit, maxLength: 10 });
    const domain = fc.oneof(text, fc.constantFrom('example.com', 'EXAMPLE.COM.', '例え.jp', 'bücher.example', '[10.0.0.1]', 'a..b.com', ''));
    fc.assert(
      fc.property(text, domain, (l, d) => {
        const a = parseAddress(`${l}@${d}`);
        expect(Object.keys(a)).toEqual(a.error === undefined ? ['display', 'local', 'domain', 'key'] : ['display', 'local', 'domain', 'key', 'error']);
        expect(a.key === '').toBe(a.error !== undefined);
        expect(Object.keys(a.domain)).not.toContain('error');
      }),
      { numRuns: 3000 },
    );
  });
});
