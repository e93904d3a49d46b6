import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compile, CompileError } from '../../src/compile/compile.js';
import { bindTxt, dnscontrolTxt, jsString, octodnsTxt, txtChunks } from '../../src/compile/targets/dns/escape.js';
import type { OutputFile } from '../../src/compile/output.js';
import { loadModel } from '../../src/pipeline.js';
import { writeModel, type TestSystem } from './support.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('TXT escaping (table of nasty values)', () => {
  it.each<[string, string, string]>([
    ['plain', 'v=spf1 -all', '"v=spf1 -all"'],
    ['empty', '', '""'],
    ['a double quote', 'a"b', '"a\\"b"'],
    ['a backslash', 'a\\b', '"a\\\\b"'],
    ['a semicolon (literal inside quotes)', 'v=DMARC1; p=reject', '"v=DMARC1; p=reject"'],
    ['a newline and a tab', 'a\nb\tc', '"a\\010b\\009c"'],
    ['a leading space and "="', ' =x', '" =x"'],
    ['Japanese (UTF-8 octets, decimal)', '例', '"\\228\\190\\139"'],
    ['a comma and parentheses', 'a,(b)', '"a,(b)"'],
  ])('bindTxt: %s', (_, value, want) => {
    expect(bindTxt(value)).toBe(want);
  });

  it.each<[string, string, number[]]>([
    ['255 octets: one string', 'x'.repeat(255), [255]],
    ['256 octets: two strings', 'x'.repeat(256), [255, 1]],
    ['600 octets: three strings', 'x'.repeat(600), [255, 255, 90]],
    ['a 2-octet character at the boundary moves whole', `${'x'.repeat(254)}é`, [254, 2]],
    ['a 3-octet character at the boundary moves whole', `${'x'.repeat(253)}例`, [253, 3]],
  ])('txtChunks: %s', (_, value, sizes) => {
    const chunks = txtChunks(value);
    expect(chunks.map(bytes)).toEqual(sizes);
    expect(chunks.join('')).toBe(value);
  });

  it('splits a long value into quoted strings of at most 255 octets each, escapes counted after splitting', () => {
    const value = `${'"'.repeat(200)}${'\\'.repeat(100)}`;
    const out = bindTxt(value);
    expect(out).toBe(`"${'\\"'.repeat(200)}${'\\\\'.repeat(55)}" "${'\\\\'.repeat(45)}"`);
  });

  it.each<[string, string, string | undefined]>([
    ['semicolons escaped', 'v=DMARC1; p=reject', 'v=DMARC1\\; p=reject'],
    ['quotes and backslashes kept', 'a"b\\c', 'a"b\\c'],
    ['non-ASCII refused', 'v=spf1 例', undefined],
    ['a newline refused', 'a\nb', undefined],
    ['an existing "\\;" refused (it would read as an escape)', 'a\\;b', undefined],
    ['a leading quote refused (a pre-chunked value)', '"a" "b"', undefined],
  ])('octodnsTxt: %s', (_, value, want) => {
    expect(octodnsTxt(value)).toBe(want);
  });

  it.each<[string, string, string]>([
    ['quotes and backslashes', 'a"b\\c', '"a\\"b\\\\c"'],
    ['a newline', 'a\nb', '"a\\nb"'],
    ['U+2028 and U+2029', 'a\u2028b\u2029', '"a\\u2028b\\u2029"'],
    ['Japanese stays', '例え', '"例え"'],
  ])('jsString: %s', (_, value, want) => {
    expect(jsString(value)).toBe(want);
    expect(runInNewContext(want)).toBe(value);
  });

  it('dnscontrolTxt: one string up to 255 octets, the documented array form beyond', () => {
    expect(dnscontrolTxt('x'.repeat(255))).toBe(`"${'x'.repeat(255)}"`);
    expect(runInNewContext(dnscontrolTxt('x'.repeat(300)))).toEqual(['x'.repeat(255), 'x'.repeat(45)]);
  });
});

/** The dns target's files for a test organisation. */
function build(systems: Readonly<Record<string, TestSystem>>, domain: Record<string, unknown> = {}): OutputFile[] {
  const loaded = loadModel(writeModel(systems, domain));
  if (!loaded.model) throw new Error('no model');
  return compile(loaded.model, { targets: ['dns'] });
}
const text = (files: readonly OutputFile[], path: string): string => {
  const f = files.find((x) => x.path === path);
  if (!f || typeof f.content !== 'string') throw new Error(`no ${path}: ${files.map((x) => x.path).join(', ')}`);
  return f.content;
};

// Nasty but schema-valid: quotes and a backslash in a provider mechanism, 40 addresses (a long record)
const NASTY: Record<string, TestSystem> = {
  exchange: { host: 'mail.example.com', sends: { domains: ['example.com'], ip: Array.from({ length: 40 }, (_, i) => `203.0.113.${i + 1}`), spf: ['exists:%{i}."q\\.example.net'], dkim: ['s1'] } },
  unix: { host: '[2001:db8::25]', sends: { domains: ['example.com'] } },
};
const SPF = `v=spf1 ${Array.from({ length: 40 }, (_, i) => `ip4:203.0.113.${i + 1}`).sort().join(' ')} ip6:2001:db8::25 exists:%{i}."q\\.example.net -all`;
const DMARC = 'v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:dmarc@example.com,mailto:d2@example.net; adkim=s';

describe('octoDNS YAML (YamlProvider records, octodns docs/records.md)', () => {
  const files = build(NASTY, { dmarc: { policy: 'reject', subdomainPolicy: 'quarantine', percent: 50, rua: ['mailto:dmarc@example.com', 'mailto:d2@example.net'], adkim: 'strict' } });
  const doc = parse(text(files, 'dns/octodns/example.com.yaml')) as Record<string, unknown>;

  it('has the documented record shapes', () => {
    expect(Object.keys(doc).sort()).toEqual(['', '_dmarc']);
    for (const [name, value] of Object.entries(doc)) {
      const records = Array.isArray(value) ? value : [value];
      for (const r of records as Record<string, unknown>[]) {
        expect(['MX', 'TXT'], name).toContain(r.type);
        expect(Number.isInteger(r.ttl)).toBe(true);
        if (r.type === 'MX') {
          for (const v of r.values as { exchange: string; preference: number }[]) {
            expect(Object.keys(v).sort()).toEqual(['exchange', 'preference']);
            expect(v.exchange).toMatch(/\.$/);
            expect(Number.isInteger(v.preference)).toBe(true);
          }
        } else {
          const v = r.value as string;
          expect(typeof v).toBe('string');
          // octoDNS's ChunkedValueValidator: no unescaped ";", ASCII only
          expect(v).not.toMatch(/\w;/);
          expect(v).toMatch(/^[\x20-\x7e]*$/);
        }
      }
    }
  });

  it('holds the built records (after octoDNS unescapes "\\;")', () => {
    const apex = doc[''] as Record<string, unknown>[];
    expect(apex.map((r) => r.type)).toEqual(['MX', 'TXT']);
    expect(apex[0]?.values).toEqual([{ exchange: 'mail.example.com.', preference: 10 }]);
    expect(String(apex[1]?.value).replace(/\\;/g, ';')).toBe(SPF);
    expect(String((doc._dmarc as Record<string, unknown>).value).replace(/\\;/g, ';')).toBe(DMARC);
  });
});

describe('DNSControl records (D_EXTEND, MX, TXT as documented)', () => {
  const files = build(NASTY, { dmarc: { policy: 'reject', subdomainPolicy: 'quarantine', percent: 50, rua: ['mailto:dmarc@example.com', 'mailto:d2@example.net'], adkim: 'strict' } });
  const js = text(files, 'dns/dnscontrol/chainmail.js');

  it('evaluates with stubs that check the argument shapes', () => {
    const domains: { name: string; records: unknown[] }[] = [];
    const record = (type: string) => (...args: unknown[]) => ({ type, args });
    const context = {
      D_EXTEND(name: unknown, ...mods: unknown[]) {
        expect(typeof name).toBe('string');
        domains.push({ name: name as string, records: mods });
      },
      MX(name: unknown, priority: unknown, target: unknown, ...rest: unknown[]) {
        expect(typeof name).toBe('string');
        expect(Number.isInteger(priority) && (priority as number) >= 0 && (priority as number) <= 65535).toBe(true);
        expect(target).toMatch(/\.$/);
        expect(rest).toEqual([]);
        return record('MX')(name, priority, target);
      },
      TXT(name: unknown, contents: unknown, ...rest: unknown[]) {
        expect(typeof name).toBe('string');
        const strings = Array.isArray(contents) ? contents : [contents];
        for (const s of strings) {
          expect(typeof s).toBe('string');
          expect(bytes(s as string)).toBeLessThanOrEqual(255);
        }
        expect(rest).toEqual([]);
        return record('TXT')(name, Array.isArray(contents) ? contents.join('') : contents);
      },
    };
    runInNewContext(js, context);
    expect(domains).toEqual([
      {
        name: 'example.com',
        records: [
          { type: 'MX', args: ['@', 10, 'mail.example.com.'] },
          { type: 'TXT', args: ['@', SPF] },
          { type: 'TXT', args: ['_dmarc', DMARC] },
        ],
      },
    ]);
  });
});

describe('the dns target', () => {
  it('is deterministic: the same files whatever the order of the systems in the file', () => {
    const reversed = Object.fromEntries(Object.entries(NASTY).reverse());
    expect(build(reversed)).toEqual(build(NASTY));
  });

  it('writes nothing for an organisation that publishes no domain', () => {
    expect(build({ exchange: { host: 'mail.example.com' } }, { dmarc: undefined })).toEqual([]);
  });

  it.each<[string, Record<string, TestSystem>, Record<string, unknown>, RegExp]>([
    ['a gateway reached at an IP address cannot be an MX', { exchange: { host: '[192.0.2.1]', sends: { domains: ['example.com'], ip: ['192.0.2.1'] } } }, {}, /gateway "exchange" has the IP address 192\.0\.2\.1 as its host, and an MX record needs a host name; set domains\.example\.com\.mx/],
    ['flatten without addresses', { exchange: { host: 'mail.example.com', sends: { domains: ['example.com'] } } }, { spf: { flatten: true } }, /spf\.flatten needs the outbound addresses of system "exchange": give it sends\.ip/],
    ['an address the schema lets through but is none', { exchange: { host: 'mail.example.com', sends: { domains: ['example.com'], ip: ['1:2:3'] } } }, {}, /sends\.ip "1:2:3" is not an IP address or network/],
  ])('refuses %s with a one-line problem', (_, systems, domain, message) => {
    let error: unknown;
    try {
      build(systems, domain);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompileError);
    expect((error as CompileError).problems.some((p) => message.test(p) && !p.includes('\n'))).toBe(true);
  });

  it('flattens on request: own systems by address only, providers kept', () => {
    const files = build({ exchange: { host: 'mail.example.com', sends: { domains: ['example.com'], ip: ['2001:DB8::/48'], spf: ['include:spf.protection.outlook.com'] } } }, { spf: { flatten: true, all: 'softfail' }, mx: [{ host: 'mail.example.com', preference: 5 }] });
    const zone = text(files, 'dns/bind/example.com.zone');
    expect(zone).toContain('example.com. 3600 IN MX 5 mail.example.com.');
    expect(zone).toContain('example.com. 3600 IN TXT "v=spf1 ip6:2001:db8::/48 include:spf.protection.outlook.com ~all"');
  });
});
