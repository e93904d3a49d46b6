import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, gitAvailable, gitIn, repoRoot } from './support.js';

/*
 * `plan --base REF` copies the revision's files out of git a level at a time (the main
 * file; what it includes and names; what those include): one `git ls-tree` and one `git
 * cat-file --batch` per level, whatever the number of files. A `git` first in PATH logs
 * each call, then runs the real one.
 */
const hasGit = gitAvailable('the plan --base git levels test');

describe.skipIf(!hasGit)('plan --base reads a revision a level at a time', () => {
  let repo = '';
  let shim = '';
  const git = gitIn(() => repo);

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'chainmail-plan-levels-'));
    shim = mkdtempSync(join(tmpdir(), 'chainmail-git-shim-'));
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(shim, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${join(shim, 'calls.log')}"\nexec ${JSON.stringify(real)} "$@"\n`);
    chmodSync(join(shim, 'git'), 0o755);
    git('init', '-q');
    const base = readFileSync(join(repoRoot, 'testdata/diff/001-connector-moved/base.yaml'), 'utf8');
    // unix in a.yaml (mailbox file unix-users.txt), which includes c.yaml (an empty part);
    // b.yaml names the same mailbox file again: five files over three levels
    const unixStart = base.indexOf('  unix:\n');
    const unixEnd = base.indexOf('\npolicies:');
    writeFileSync(join(repo, 'mail.yaml'), `${base.slice(0, unixStart)}${base.slice(unixEnd + 1)}`.replace('version: 1\n', 'version: 1\ninclude: [parts/a.yaml, parts/b.yaml]\n'));
    mkdirSync(join(repo, 'parts'));
    writeFileSync(join(repo, 'parts/a.yaml'), 'include: [c.yaml]\nsystems:\n  unix:\n    kind: postfix\n    host: "[192.168.1.10]"\n    mailboxFiles: [unix-users.txt]\n');
    writeFileSync(join(repo, 'parts/b.yaml'), 'tests: []\n');
    writeFileSync(join(repo, 'parts/c.yaml'), 'contacts: []\n');
    writeFileSync(join(repo, 'parts/unix-users.txt'), 'carol@example.com\ndave@example.com\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'the old version');
    writeFileSync(join(repo, 'parts/unix-users.txt'), 'carol@example.com\n');
  });
  afterAll(() => {
    for (const d of [repo, shim]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('one ls-tree and one cat-file per level, and the plan of every file at the revision', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = `${shim}:${path ?? ''}`;
    let r: Awaited<ReturnType<typeof cli>>;
    try {
      r = await cli(['plan', 'mail.yaml', '--base', 'HEAD'], repo);
    } finally {
      process.env['PATH'] = path;
    }
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // dave is in the committed mailbox file, named by an include of the main file
    expect(r.stdout).toMatch(/recipient removed \(1 address\)\n {2}dave@example\.com/);
    const calls = readFileSync(join(shim, 'calls.log'), 'utf8').trim().split('\n');
    const lsTree = calls.filter((c) => / ls-tree /.test(` ${c} `));
    expect(lsTree.map((c) => c.replace(/^.*? -- /, ''))).toEqual(['mail.yaml', 'parts/a.yaml parts/b.yaml', 'parts/c.yaml parts/unix-users.txt']);
    expect(calls.filter((c) => c.startsWith('cat-file --batch'))).toHaveLength(3);
  });
});
