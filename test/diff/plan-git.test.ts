import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, gitAvailable, gitIn, repoRoot } from './support.js';

/**
 * `plan --base REF:path` reads the old version from git: a temporary repository with one
 * commit, then a change in the working tree. The main file includes another file that
 * names a mailbox file: both must come from the commit, not from the working tree.
 */
const hasGit = gitAvailable('the plan --base git tests');

describe.skipIf(!hasGit)('plan --base from git', () => {
  let repo = '';
  const git = gitIn(() => repo);

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'chainmail-plan-git-'));
    git('init', '-q');
    const base = readFileSync(join(repoRoot, 'testdata/diff/001-connector-moved/base.yaml'), 'utf8');
    // unix moves into an included file whose mailbox file sits beside it
    const unixStart = base.indexOf('  unix:\n');
    const unixEnd = base.indexOf('\npolicies:');
    const main = `${base.slice(0, unixStart)}${base.slice(unixEnd + 1)}`.replace('version: 1\n', 'version: 1\ninclude: [systems/unix.yaml]\n');
    mkdirSync(join(repo, 'mail/systems'), { recursive: true });
    writeFileSync(join(repo, 'mail/mail.yaml'), main);
    writeFileSync(join(repo, 'mail/systems/unix.yaml'), 'systems:\n  unix:\n    kind: postfix\n    host: "[192.168.1.10]"\n    mailboxFiles: [unix-users.txt]\n');
    writeFileSync(join(repo, 'mail/systems/unix-users.txt'), 'carol@example.com\ndave@example.com\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'the old version');
    // the change under review: dave leaves, erin arrives, the UNIX host moves
    writeFileSync(join(repo, 'mail/systems/unix-users.txt'), 'carol@example.com\nerin@example.com\n');
    writeFileSync(join(repo, 'mail/systems/unix.yaml'), readFileSync(join(repo, 'mail/systems/unix.yaml'), 'utf8').replace('192.168.1.10', '192.168.1.20'));
  });
  afterAll(() => {
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  const summary = (stdout: string): string => stdout.trim().split('\n').at(-1) ?? '';
  // the unknown recipient's next hop changes too: the Exchange gateway forwards it (InternalRelay, issue 14)
  const expected = 'Routes change for 4 addresses (recipient added: 1, recipient removed: 1, next hop changed: 2); 10 addresses probed from internet, exchange, unix.';

  it.each([
    ['REF:path from the top of the repository', '.', ['mail/mail.yaml', '--base', 'HEAD:mail/mail.yaml'], 'HEAD:mail/mail.yaml'],
    ['REF:./path relative to the current directory', 'mail', ['mail.yaml', '--base', 'HEAD:./mail.yaml'], 'HEAD:mail/mail.yaml'],
    ['a bare REF: FILE at that revision', 'mail/systems', ['../mail.yaml', '--base', 'HEAD'], 'HEAD:mail/mail.yaml'],
  ])('%s', async (_name, dir, args, label) => {
    const r = await cli(['plan', ...args], join(repo, dir));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Route changes against ${label}:`);
    // dave and carol's next hop come from the committed include and mailbox file
    expect(summary(r.stdout)).toBe(expected);
    expect(r.stdout).toMatch(/recipient removed \(1 address\)\n {2}dave@example\.com/);
    expect(r.stdout).toMatch(/recipient added \(1 address\)\n {2}erin@example\.com/);
    expect(r.stdout).toContain('before: exchange -> [192.168.1.10]:25 (unix) => delivered by unix');
  });

  it('finds the includes and mailbox files of a large file (the fast YAML path of the loader) at the revision', async () => {
    // an include of over 256 KB is read by js-yaml (src/load/load.ts, fastParse): plan --base
    // finds what it names the same way, and the committed mailbox file is the base's
    const big = join(repo, 'mail/systems/unix.yaml');
    const committed = git('show', 'HEAD:mail/systems/unix.yaml');
    const padded = `${'# padding, as a large include of many contacts would be\n'.repeat(6000)}${committed}`;
    expect(padded.length).toBeGreaterThan(256 * 1024);
    const working = readFileSync(big, 'utf8');
    try {
      writeFileSync(big, padded);
      git('add', 'mail/systems/unix.yaml');
      git('commit', '-q', '-m', 'a large include');
      writeFileSync(big, `${padded.replace('192.168.1.10', '192.168.1.20')}`);
      const r = await cli(['plan', 'mail/mail.yaml', '--base', 'HEAD:mail/mail.yaml'], repo);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(summary(r.stdout)).toBe(expected);
      expect(r.stdout).toMatch(/recipient removed \(1 address\)\n {2}dave@example\.com/);
    } finally {
      git('reset', '-q', '--soft', 'HEAD~1');
      git('restore', '--staged', 'mail/systems/unix.yaml');
      writeFileSync(big, working);
    }
  });

  it('leaves no temporary copy behind', async () => {
    const before = new Set(listTmp());
    await cli(['plan', 'mail/mail.yaml', '--base', 'HEAD:mail/mail.yaml'], repo);
    expect(listTmp().filter((f) => !before.has(f))).toEqual([]);
  });

  it('exits 3 with --detailed-exitcode and prints JSON naming the base', async () => {
    const r = await cli(['plan', 'mail/mail.yaml', '--base', 'HEAD:mail/mail.yaml', '--format', 'json', '--detailed-exitcode'], repo);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { version: number; routes: { base: string; summary: { addresses: number } }; changes?: unknown };
    expect(doc.version).toBe(1);
    expect(doc.routes.base).toBe('HEAD:mail/mail.yaml');
    expect(doc.routes.summary.addresses).toBe(4);
    expect(doc.changes).toBeUndefined(); // no --out: no artifact diff
  });

  it.each([
    ['an unknown revision', ['mail/mail.yaml', '--base', 'no-such-branch:mail/mail.yaml'], /^chainmail plan: --base no-such-branch: no such git revision in .+ \(try a branch, tag or commit, e\.g\. origin\/main\)\n$/],
    ['a path not in the revision', ['mail/mail.yaml', '--base', 'HEAD:mail/nope.yaml'], /^chainmail plan: --base HEAD:mail\/nope\.yaml: no such file at HEAD\n$/],
  ])('%s is one line, exit 2', async (_name, args, message) => {
    const r = await cli(['plan', ...args], repo);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('says when FILE is not in a git repository', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'chainmail-no-git-'));
    try {
      writeFileSync(join(outside, 'mail.yaml'), readFileSync(join(repoRoot, 'testdata/diff/001-connector-moved/base.yaml')));
      const r = await cli(['plan', 'mail.yaml', '--base', 'HEAD'], outside);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('chainmail plan: mail.yaml is not in a git repository\n');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

function listTmp(): string[] {
  return execFileSync('ls', [tmpdir()], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.startsWith('chainmail-base-'));
}
