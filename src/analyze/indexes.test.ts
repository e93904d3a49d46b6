import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Model } from '../model/model.js';
import { loadModel } from '../pipeline.js';
import { addressEntries, addressesByKey, domainLabel, domainUses, formatCount, yamlSnippet, type Memo } from './indexes.js';

const tmp = mkdtempSync(join(tmpdir(), 'chainmail-indexes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function model(text: string): Model {
  writeFileSync(join(tmp, 'chainmail.yaml'), text);
  const m = loadModel(join(tmp, 'chainmail.yaml'), { cwd: tmp }).model;
  if (!m) throw new Error('no model');
  return m;
}

/** A memo like analyze's: one computation per key. */
function memo(m: Model): Memo & { calls: number } {
  const cache = new Map<string, unknown>();
  const ctx = {
    calls: 0,
    memo<T>(key: string, compute: (model: Model) => T): T {
      if (!cache.has(key)) {
        ctx.calls++;
        cache.set(key, compute(m));
      }
      return cache.get(key) as T;
    },
  };
  return ctx;
}

const FILE = `version: 1
domains: { example.com: {}, remote.domain: { remote: true } }
systems:
  exchange:
    kind: exchange
    host: mail.example.com
    mailboxes: [alice@example.com, { address: bob@example.com, aliases: [Robert@EXAMPLE.com] }]
  unix: { kind: postfix, host: "[10.0.0.1]", mailboxes: [carol@example.com, robert@example.com] }
policies:
  - { name: Shared, system: exchange, addresses: [{ space: "@example.com" }] }
contacts:
  - { cn: Remote, mailNickname: remote, targetAddress: r@remote.domain, proxyAddresses: [r@example.com] }
`;

describe('indexes', () => {
  it('lists every address with its owner, in file order', () => {
    const ctx = memo(model(FILE));
    expect(addressEntries(ctx).map((e) => [e.address.key, e.role, e.owner])).toEqual([
      ['alice@example.com', 'mailbox', 'mailbox of system "exchange"'],
      ['bob@example.com', 'mailbox', 'mailbox of system "exchange"'],
      ['robert@example.com', 'alias', 'alias of mailbox "bob@example.com" on system "exchange"'],
      ['carol@example.com', 'mailbox', 'mailbox of system "unix"'],
      ['robert@example.com', 'mailbox', 'mailbox of system "unix"'],
      ['r@remote.domain', 'contact-target', 'target address of contact "Remote"'],
      ['r@example.com', 'contact-proxy', 'proxy address of contact "Remote"'],
    ]);
    expect(addressesByKey(ctx).get('robert@example.com')?.map((e) => e.system)).toEqual(['exchange', 'unix']);
    addressEntries(ctx);
    expect(ctx.calls).toBe(2); // addressEntries once, addressesByKey once
  });

  it('groups domain uses by kind with counts', () => {
    const uses = domainUses(memo(model(FILE)));
    expect(uses.get('example.com')?.map((g) => [g.kind, g.count, g.what])).toEqual([
      ['policy', 1, 'policy "Shared"'],
      ['mailbox', 4, '"alice@example.com" (mailbox of system "exchange")'],
      ['alias', 1, '"Robert@EXAMPLE.com" (alias of mailbox "bob@example.com" on system "exchange")'],
      ['contact-proxy', 1, '"r@example.com" (proxy address of contact "Remote")'],
    ]);
    expect(uses.get('remote.domain')?.map((g) => g.kind)).toEqual(['contact-target']);
  });

  it.each([
    [{ display: 'example.com', ascii: 'example.com', unicode: 'example.com' }, '"example.com"'],
    [{ display: 'Example.COM', ascii: 'example.com', unicode: 'example.com' }, '"Example.COM"'],
    [{ display: '例え.jp', ascii: 'xn--r8jz45g.jp', unicode: '例え.jp' }, '"例え.jp" (xn--r8jz45g.jp)'],
    [{ display: 'xn--r8jz45g.jp', ascii: 'xn--r8jz45g.jp', unicode: '例え.jp' }, '"xn--r8jz45g.jp" (例え.jp)'],
  ])('domainLabel %#', (d, want) => {
    expect(domainLabel(d)).toBe(want);
  });

  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [99999, '99,999'],
    [1234567, '1,234,567'],
  ])('formatCount(%i) = %s', (n, want) => {
    expect(formatCount(n)).toBe(want);
  });

  it('writes fix YAML with flow lists and quotes only where YAML needs them', () => {
    expect(yamlSnippet({ order: ['exchange', 'unix'] })).toBe('order: [exchange, unix]');
    expect(yamlSnippet({ smartHosts: ['[10.0.0.1]', 'mx.example.com'] })).toBe('smartHosts: ["[10.0.0.1]", mx.example.com]');
    expect(yamlSnippet({ domains: { '例え.jp': {} } })).toBe('domains:\n  例え.jp: {}');
    expect(yamlSnippet({ system: 'null' })).toBe('system: "null"');
  });
});
