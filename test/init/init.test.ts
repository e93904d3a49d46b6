import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isOneLineMessage, run, type JsonReport } from '../cli/support.js';

const work = mkdtempSync(join(tmpdir(), 'chainmail-init-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** Runs `chainmail init ARGS --out <fresh file>` and returns the file's path. */
async function initFile(args: readonly string[]): Promise<string> {
  const file = join(work, `starter-${++n}.yaml`);
  const r = await run(['init', ...args, '--out', file]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return file;
}

/** The seed's two scenarios as the README shows them: reviewed as goldens. */
const SEED_METHOD1 = ['--gateway', 'exchange', '--share', 'example.com', '--with', 'unix=[192.168.1.10]'];
const SEED_METHOD2 = ['--method', '2', '--remote', 'remote.domain=[10.1.1.1]'];

describe('chainmail init: the starter lints clean through the real lint pipeline', () => {
  it.each([
    ['method 1, the seed (exchange shares example.com with unix)', SEED_METHOD1],
    ['method 1, a chain of three', ['--share', 'example.com', '--with', 'hub:relay=[192.168.1.5]', '--with', 'unix=[192.168.1.10]']],
    ['method 1, two Exchange forests', ['--gateway', 'forest-a=mail.contoso.com', '--share', 'contoso.com', '--with', 'forest-b:exchange=[10.20.0.25]']],
    ['method 1, a Postfix gateway before Exchange', ['--gateway', 'mx:postfix=mx.example.org', '--share', 'example.org', '--with', 'exchange:exchange=[10.0.0.2]']],
    ['method 1, an IDN domain and a bare IP', ['--share', '例え.jp', '--with', 'unix=192.168.1.10', '--name', 'IDN: 例え.jp']],
    ['method 1, an explicit private space and port', ['--share', 'example.com', '--private', 'corp.example.net', '--with', 'unix=[192.168.1.10]:2525']],
    ['method 2, the seed (one remote domain)', SEED_METHOD2],
    ['method 2, two remote domains', ['--method', '2', '--domain', 'xo.one', '--remote', 'remote.domain=[10.1.1.1]', '--remote', 'partner.example=mx.partner.example:2525']],
    ['hybrid: Exchange Online, on-premises Exchange and Postfix', ['--method', 'hybrid', '--domain', 'contoso.com']],
    ['google: Google Workspace with split delivery to Postfix', ['--method', 'google', '--domain', 'example.org']],
  ])('%s', async (_name, args) => {
    const file = await initFile(args);
    const lint = await run(['lint', '--format', 'json', file]);
    const report = JSON.parse(lint.stdout) as JsonReport;
    expect(report.diagnostics.map((d) => `${d.ruleId} ${d.line}:${d.column} ${d.message}`)).toEqual([]);
    expect(lint.code).toBe(0);
    // the starter's route tests pass too
    const test = await run(['test', file]);
    expect(test.code, test.stdout + test.stderr).toBe(0);
  });
});

describe('chainmail init: output', () => {
  it('method 1 prints the golden starter on stdout', async () => {
    const r = await run(['init', ...SEED_METHOD1]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    await expect(r.stdout).toMatchFileSnapshot('__golden__/method1.yaml');
  });

  it('method 2 prints the golden starter on stdout', async () => {
    const r = await run(['init', ...SEED_METHOD2]);
    expect(r.code).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot('__golden__/method2.yaml');
  });

  it('--out writes the file with a modeline that reaches the package schema', async () => {
    const file = join(work, 'modeline.yaml');
    const r = await run(['init', ...SEED_METHOD1, '--out', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${file}: a KB 321721 method 1 starter; next: chainmail lint ${file}\n`);
    const text = readFileSync(file, 'utf8');
    const ref = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1] ?? '';
    expect(existsSync(resolve(dirname(file), ref)), ref).toBe(true);
    expect(text.endsWith('\n') && !text.includes('\r')).toBe(true);
  });

  it('keeps an existing --out file unless --force', async () => {
    const file = join(work, 'existing.yaml');
    writeFileSync(file, 'mine\n');
    const r = await run(['init', ...SEED_METHOD1, '--out', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`chainmail init: ${file} exists; use --force to overwrite it, or another --out\n`);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    const forced = await run(['init', ...SEED_METHOD1, '--out', file, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^# yaml-language-server/);
  });

  it('names a missing folder of --out in one line', async () => {
    const r = await run(['init', ...SEED_METHOD1, '--out', join(work, 'no/such/dir/x.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be created: its folder does not exist\n$/);
    expect(isOneLineMessage(r.stderr)).toBe(true);
  });

  it('forms the chain in the order of --with', async () => {
    const r = await run(['init', '--share', 'example.com', '--with', 'b=[192.168.1.2]', '--with', 'a=[192.168.1.1]']);
    expect(r.stdout).toMatch(/order: \[exchange, b, a\]/);
    expect(r.stdout).toMatch(/- name: To b\n {4}system: exchange\n.*\n {4}to: b\n/);
    expect(r.stdout).toMatch(/- name: To a\n {4}system: b\n.*\n {4}to: a\n/);
    // only the last system is authoritative for the shared space
    expect(r.stdout.match(/space: "@example\.com", primary: true, authoritative: true/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/system: a\n {4}addresses:\n {6}- \{ space: "@example\.com", primary: true, authoritative: true \}/);
  });
});

describe('chainmail init: usage errors (exit 2, one line)', () => {
  it.each([
    [['--with', 'unix=[192.168.1.10]'], /method 1 needs --share DOMAIN/],
    [['--share', 'example.com'], /method 1 needs at least one --with NAME=HOST/],
    [['--share', 'example.com', '--with', 'unix:mainframe=[10.0.0.1]'], /unknown kind "mainframe"; use one of exchange, postfix, relay, other/],
    [['--share', 'example.com', '--with', 'bad name=[10.0.0.1]'], /is not NAME\[:KIND\]\[=HOST\]/],
    [['--share', 'example.com', '--with', 'unix=[10.0.0.1'], /the host of unix "\[10\.0\.0\.1" has "\[" without "\]"/],
    [['--share', 'example.com', '--with', 'exchange=[10.0.0.1]'], /the system "exchange" is named twice/],
    [['--share', 'not a domain', '--with', 'unix=[10.0.0.1]'], /--share "not a domain" contains a space/],
    [['--share', 'example.com', '--private', 'example.com', '--with', 'unix=[10.0.0.1]'], /--private must differ/],
    [['--share', 'example.com', '--with', 'unix=[10.0.0.1]', '--remote', 'r.example=[10.0.0.2]'], /--remote is for --method 2/],
    [['--method', '2'], /method 2 needs at least one --remote DOMAIN=HOST/],
    [['--method', '2', '--remote', 'remote.domain'], /needs the smart host that reaches it/],
    [['--method', '2', '--remote', 'example.com=[10.0.0.1]'], /is the own --domain/],
    [['--method', '2', '--gateway', 'mx:postfix', '--remote', 'r.example=[10.0.0.1]'], /method 2 needs an Exchange gateway/],
    [['--method', '2', '--share', 'example.com', '--remote', 'r.example=[10.0.0.1]'], /are for --method 1/],
    [['--method', 'hybrid', '--share', 'example.com'], /--method hybrid takes --domain and --name only/],
    [['--method', '3'], /--method "3": use 1 \(a shared domain\), 2 \(contacts\), hybrid \(Exchange Online\) or google \(Google Workspace\)/],
    [['stray.yaml'], /takes no FILE argument/],
  ])('%j', async (args, message) => {
    const r = await run(['init', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^chainmail init: /);
    expect(r.stderr).toMatch(message);
    expect(isOneLineMessage(r.stderr)).toBe(true);
  });

  it('--help prints the options', async () => {
    const r = await run(['init', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--with SPEC/);
  });
});
