import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lint } from '../../src/analyze/lint.js';
import { load } from '../../src/load/load.js';
import { loadModel } from '../../src/pipeline.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chainmail-load-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const MAIN = `version: 1
domains:
  example.com: {}
systems:
  exchange:
    kind: exchange
    host: mail.example.com
    gateway: true
    mailboxes: [alice@example.com]
include: [unix/unix.yaml]
`;
const UNIX = `systems:
  unix:
    kind: postfix
    host: "[192.168.1.10]"
    mailboxFiles: [users.txt]
policies:
  - name: UNIX
    system: unix
    addresses: [{ space: "@example.com", authoritative: true }]
`;

describe('load: includes and mailbox files', () => {
  it('merges included files and reads mailbox files relative to the file that names them', () => {
    const main = write('main.yaml', MAIN);
    write('unix/unix.yaml', UNIX);
    write('unix/users.txt', '# UNIX users\ncarol@example.com\n\n  Dave@Example.com   # the admin\n');
    const l = loadModel(main, { cwd: dir });
    expect(l.fatal).toBeUndefined();
    expect(l.findings).toEqual([]);
    const unix = l.model?.systems.get('unix');
    expect(unix?.mailboxes.map((m) => m.address.key)).toEqual(['carol@example.com', 'dave@example.com']);
    expect(unix?.listsRecipients).toBe(true);
    // a finding about the included system points into the included file
    expect(l.locator.lines(l.locator.span({ path: ['systems', 'unix', 'host'] }))).toMatchObject({ file: 'unix/unix.yaml', line: 4, column: 11 });
    // a mailbox-file entry points at its line and column
    const dave = unix?.mailboxes[1];
    expect(dave && l.locator.lines(l.locator.span(dave.at))).toMatchObject({ file: 'unix/users.txt', line: 4, column: 3, endColumn: 19 });
    // and policies from the include keep their index in the merged list
    expect(l.locator.lines(l.locator.span({ path: ['policies', 0, 'name'] }))).toMatchObject({ file: 'unix/unix.yaml', line: 7 });
  });

  it.each([
    ['a missing include', () => write('main.yaml', MAIN), /cannot include "unix\/unix.yaml": no such file/],
    ['an include cycle', () => {
      write('unix/unix.yaml', `${UNIX}include: [../main.yaml]\n`);
      write('unix/users.txt', '');
      return write('main.yaml', MAIN);
    }, /include cycle main.yaml -> unix\/unix.yaml -> main.yaml/],
    ['a missing mailbox file', () => {
      write('unix/unix.yaml', UNIX);
      return write('main.yaml', MAIN);
    }, /mailbox file "users.txt" of system "unix": no such file/],
    ['a directory', () => {
      mkdirSync(join(dir, 'd.yaml'));
      return join(dir, 'd.yaml');
    }, /d.yaml: is a directory/],
    ['a missing file', () => join(dir, 'nope.yaml'), /nope.yaml: no such file/],
  ])('%s is a one-line fatal error', (_name, setup, message) => {
    const l = loadModel(setup(), { cwd: dir });
    expect(l.fatal).toMatch(message);
    expect(l.fatal).not.toContain('\n');
  });

  it('locates each item of a list merged from several files in the file and at the index it came from', () => {
    const main = write('main.yaml', `${MAIN.replace('include: [unix/unix.yaml]', 'include: [unix/unix.yaml, more/a.yaml, more/b.yaml]')}policies:\n  - name: Main\n    system: exchange\n    addresses: [{ space: "@example.com", authoritative: false }]\n`);
    write('unix/unix.yaml', UNIX);
    write('unix/users.txt', 'carol@example.com\n');
    const policy = (name: string): string => `  - name: ${name}\n    system: unix\n    addresses: [{ space: "@${name.toLowerCase()}.example", authoritative: true }]\n`;
    write('more/a.yaml', `policies:\n${policy('A0')}${policy('A1')}`);
    write('more/b.yaml', `# b\npolicies:\n${policy('B0')}`);
    const l = loadModel(main, { cwd: dir });
    expect(l.fatal).toBeUndefined();
    expect(l.model?.policies.map((p) => p.name)).toEqual(['Main', 'UNIX', 'A0', 'A1', 'B0']);
    const at = (path: (string | number)[]) => l.locator.lines(l.locator.span({ path }));
    expect(at(['policies', 0, 'name'])).toMatchObject({ file: 'main.yaml', line: 12 });
    expect(at(['policies', 1, 'name'])).toMatchObject({ file: 'unix/unix.yaml', line: 7 });
    expect(at(['policies', 2, 'name'])).toMatchObject({ file: 'more/a.yaml', line: 2 });
    expect(at(['policies', 3, 'addresses', 0, 'space'])).toMatchObject({ file: 'more/a.yaml', line: 7 });
    expect(at(['policies', 4, 'system'])).toMatchObject({ file: 'more/b.yaml', line: 4 });
    const { origins } = load(main, dir);
    expect(origins.resolve(['policies', 4, 'system'])).toEqual({ file: 'more/b.yaml', path: ['policies', 0, 'system'] });
    expect(origins.resolve(['policies', 5])).toEqual({ file: 'main.yaml', path: ['policies', 5] });
  });

  it('reports a system defined in two files once, at the second definition', () => {
    const main = write('main.yaml', `${MAIN}`);
    write('unix/unix.yaml', `${UNIX}\n`.replace('unix:\n    kind', 'exchange:\n    kind: postfix\n    host: x.example.com\n  unix:\n    kind'));
    write('unix/users.txt', '');
    const l = loadModel(main, { cwd: dir });
    const f = l.findings.find((x) => x.message.includes('defined twice'));
    expect(f?.ruleId).toBe('schema');
    expect(l.locator.locate(f!, 'error')).toMatchObject({ file: 'unix/unix.yaml', line: 2 });
  });

  it('refuses main-file-only keys in an included file', () => {
    const main = write('main.yaml', MAIN);
    write('unix/unix.yaml', `name: other\n${UNIX}`);
    write('unix/users.txt', '');
    const r = lint(loadModel(main, { cwd: dir }));
    expect(r.diagnostics.map((d) => [d.ruleId, d.file, d.line, d.message])).toContainEqual([
      'schema',
      'unix/unix.yaml',
      1,
      '"name" is only allowed in the main file: move it to "main.yaml"',
    ]);
  });
});

describe('load: hostile and broken files', () => {
  it.each([
    ['empty', '', 'schema', /the file is empty/],
    ['only a comment', '# nothing\n', 'schema', /the file is empty/],
    ['a list', '- a\n- b\n', 'schema', /must be a mapping/],
    ['a scalar', 'hello\n', 'schema', /must be a mapping/],
    ['duplicate keys', 'version: 1\nsystems: {}\nsystems: {}\n', 'yaml-syntax', /key "systems" appears twice in the same mapping: keep one of them/],
    ['bad indentation', 'version: 1\nsystems:\n  a:\n    kind: postfix\n   host: x\n', 'yaml-syntax', /./],
    ['a tab', 'version: 1\nsystems:\n\ta: {}\n', 'yaml-syntax', /tab/i],
  ])('%s -> %s', (_n, text, ruleId, message) => {
    const r = lint(loadModel(write('f.yaml', text), { cwd: dir }));
    expect(r.fatal).toBeUndefined();
    expect(r.errors).toBeGreaterThan(0);
    const d = r.diagnostics.find((x) => x.ruleId === ruleId);
    expect(d?.message).toMatch(message);
  });

  it('answers an alias bomb with yaml-syntax instead of expanding it', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++) {
      const prev = String.fromCharCode(97 + i);
      const cur = String.fromCharCode(98 + i);
      lines.push(`${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const r = lint(loadModel(write('bomb.yaml', `${lines.join('\n')}\n`), { cwd: dir }));
    expect(r.diagnostics.map((d) => d.ruleId)).toEqual(['yaml-syntax']);
    expect(r.diagnostics[0]?.message).toMatch(/too many alias expansions/);
  });

  it('reports invalid UTF-8 and NUL bytes without parsing', () => {
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from([0x76, 0x3a, 0x20, 0xe9, 0x0a]));
    writeFileSync(join(dir, 'bin.yaml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]));
    const a = lint(loadModel(join(dir, 'latin1.yaml'), { cwd: dir }));
    expect(a.diagnostics[0]).toMatchObject({ ruleId: 'yaml-syntax', message: 'invalid UTF-8 at byte 3: save the file as UTF-8' });
    const b = lint(loadModel(join(dir, 'bin.yaml'), { cwd: dir }));
    expect(b.diagnostics[0]?.message).toMatch(/NUL bytes/);
  });
});

describe('load: the fast path for large files', () => {
  const big = (extra: string): string => {
    const boxes = Array.from({ length: 12_000 }, (_, i) => `      - user${i}@example.com`).join('\n');
    return `version: 1\ndomains:\n  example.com: {}\nsystems:\n  unix:\n    kind: postfix\n    host: "[10.0.0.1]"\n    mailboxes:\n${boxes}\n${extra}`;
  };

  it('gives the same model and the same located findings as the yaml path', () => {
    const text = big('policies:\n  - name: p\n    system: unix\n    addresses: [{ space: "@example.com", authoritative: true }]\n    bogus: 1\n');
    expect(text.length).toBeGreaterThan(256 * 1024);
    const r = lint(loadModel(write('big.yaml', text), { cwd: dir }));
    const schema = r.diagnostics.filter((d) => d.ruleId === 'schema');
    expect(schema).toHaveLength(1);
    expect(schema[0]).toMatchObject({ line: 12_013, column: 5, message: expect.stringContaining('unknown key "bogus"') });
    const l = loadModel(join(dir, 'big.yaml'), { cwd: dir });
    expect(l.model?.systems.get('unix')?.mailboxes).toHaveLength(12_000);
  });

  it.each([
    ['a duplicate key', 'systems:\n  other: { kind: postfix, host: x.example.com }\n', /key "systems" appears twice/],
    ['an alias', 'x: &a [1]\ny: *a\n', /unknown key "x"/],
  ])('falls back to the yaml path for %s', (_n, extra, message) => {
    const r = lint(loadModel(write('big2.yaml', big(extra)), { cwd: dir }));
    expect(r.diagnostics.map((d) => d.message).join('\n')).toMatch(message);
  });
});
