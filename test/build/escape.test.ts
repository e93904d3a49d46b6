import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, CompileError } from '../../src/compile/compile.js';
import { mdCode, psComment, psString } from '../../src/compile/targets/exchange/escape.js';
import { smartHost2003, smartHost2007 } from '../../src/compile/targets/exchange/smart-host.js';
import { addressValueProblem, mapKeyProblem, transportValueProblem } from '../../src/compile/targets/postfix/map-syntax.js';
import { postfixHost, relayTransport } from '../../src/compile/targets/postfix/nexthop.js';
import type { Model } from '../../src/model/model.js';
import type { HopHost } from '../../src/routing/table.js';
import { loadModel } from '../../src/pipeline.js';

/** Escaping lives with each target: table tests of nasty values. */
describe('postmap keys and values', () => {
  it.each([
    ['alice@example.com', undefined],
    ['o\'brien+tag@example.com', undefined],
    ['山田@xn--r8jz45g.jp', undefined],
    ['john doe@example.com', 'contains a blank or a line break'],
    ['tab\there@example.com', 'contains a blank or a line break'],
    ['line\nbreak@example.com', 'contains a blank or a line break'],
    ['bell\u0007@example.com', 'contains a control character'],
    ['#hash@example.com', 'starts with "#" (postmap would read a comment)'],
    ['"quoted"@example.com', 'has a quoted local part'],
    ['lone\ud800@example.com', 'is not valid Unicode (a lone surrogate)'],
    ['', 'is empty'],
  ])('key %j: %s', (key, problem) => {
    expect(mapKeyProblem(key)).toBe(problem);
  });

  it.each([
    ['local:', undefined],
    ['lmtp:unix:private/dovecot-lmtp', undefined],
    ['relay:[a.example]:25, [b.example]:25', undefined],
    ['local', 'is not of the form transport:nexthop (e.g. "local:" or "lmtp:unix:private/dovecot-lmtp")'],
    ['smtp:[x]\nevil@example.com OK', 'contains a line break or a control character'],
    [' local:', 'has leading or trailing blanks'],
  ])('transport value %j: %s', (value, problem) => {
    expect(transportValueProblem(value)).toBe(problem);
  });

  it.each([
    ['Pat@partner.example', undefined],
    ['a@b.example,c@d.example', 'contains a comma (virtual(5) would read two addresses)'],
    ['a b@example.com', 'contains a blank, a line break or a control character'],
    ['"x"@example.com', 'has a quoted local part'],
  ])('virtual value %j: %s', (value, problem) => {
    expect(addressValueProblem(value)).toBe(problem);
  });
});

const hop = (host: string, port = 25, mx = false): HopHost => ({ host, port, mx, display: host });

describe('one HopHost, three smart-host dialects', () => {
  it.each([
    [hop('192.168.1.10'), '[192.168.1.10]:25', '[192.168.1.10]', '192.168.1.10'],
    [hop('2001:db8::25', 2525), '[ipv6:2001:db8::25]:2525', '[2001:db8::25]', '2001:db8::25'],
    [hop('mail.example.com'), '[mail.example.com]:25', '[mail.example.com]', 'mail.example.com'],
    [hop('mx.example.com', 25, true), '[mx.example.com]:25', 'mx.example.com', 'mx.example.com'],
  ])('%j: postfix %s, exchange 2003 %s, exchange 2007+ %s', (h, postfix, ex2003, ex2007) => {
    expect(postfixHost(h)).toBe(postfix);
    expect(smartHost2003(h)).toBe(ex2003);
    expect(smartHost2007(h)).toBe(ex2007);
  });

  it('joins several next hops the way Postfix 3.5+ reads them', () => {
    expect(relayTransport({ hosts: [hop('10.0.0.1'), hop('10.0.0.2', 2525)] })).toBe('relay:[10.0.0.1]:25, [10.0.0.2]:2525');
  });
});

describe('PowerShell and Markdown', () => {
  it.each([
    ['plain', "'plain'"],
    ["O'Brien", "'O''Brien'"],
    ['Doe, John', "'Doe, John'"],
    ['$env:PATH `n "x"', "'$env:PATH `n \"x\"'"],
    ['\u2018typographic\u2019', "'\u2018\u2018typographic\u2019\u2019'"],
    ["x'; Remove-Item C:\\ -Recurse; '", "'x''; Remove-Item C:\\ -Recurse; '''"],
    ['山田 太郎', "'山田 太郎'"],
  ])('psString(%j) = %s', (value, quoted) => {
    expect(psString(value)).toBe(quoted);
  });

  it('keeps a comment one line, and never closes a block comment', () => {
    expect(psComment('a\nWrite-Host pwned #> x')).toBe('# a Write-Host pwned # > x');
  });

  it.each([
    ['Default Policy', false, '`Default Policy`'],
    ['a`b', false, '``a`b``'],
    ['`start', false, '`` `start ``'],
    ['a|b', true, '`a\\|b`'],
    ['two\nlines', false, '`two lines`'],
    ['', false, '(empty)'],
  ])('mdCode(%j, table %s) = %s', (value, table, md) => {
    expect(mdCode(value, table)).toBe(md);
  });
});

function modelFrom(yaml: string): Model {
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-escape-'));
  try {
    writeFileSync(join(dir, 'chainmail.yaml'), yaml);
    const m = loadModel(join(dir, 'chainmail.yaml'), { cwd: dir }).model;
    if (!m) throw new Error('no model');
    return m;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BASE = (mailbox: string): string => `version: 1
domains: { example.com: {} }
systems:
  pf:
    kind: postfix
    host: "[192.0.2.1]"
    mailboxes: [${JSON.stringify(mailbox)}]
policies:
  - name: Local
    system: pf
    addresses: [{ space: "@example.com", primary: true, authoritative: true }]
`;

describe('the Postfix target refuses what no map can hold', () => {
  it.each([
    ['"john doe"@example.com', 'has a quoted local part'],
    ['"john"@example.com', 'has a quoted local part'],
    ['#team@example.com', 'starts with "#"'],
  ])('mailbox %j', (mailbox, problem) => {
    const model = modelFrom(BASE(mailbox));
    expect(() => compile(model, { targets: ['postfix'] })).toThrow(CompileError);
    try {
      compile(model, { targets: ['postfix'] });
    } catch (e) {
      expect((e as CompileError).problems.join('\n')).toContain(problem);
    }
  });

  it('keeps a policy name with a line break inside its comment (a model built by hand, past the schema)', () => {
    const loaded = modelFrom(BASE('alice@example.com'));
    const model: Model = { ...loaded, policies: loaded.policies.map((p) => ({ ...p, name: 'Local\nevil@example.com OK' })) };
    const files = compile(model, { targets: ['postfix'] });
    for (const f of files) {
      for (const line of String(f.content).split('\n')) expect(line.startsWith('evil@'), `${f.path}: ${line}`).toBe(false);
    }
    const domains = String(files.find((f) => f.path === 'pf/postfix/relay_domains')?.content);
    expect(domains).toContain('policy "Local\\nevil@example.com OK"');
  });
});
