import { spawnSync } from 'node:child_process';
import { appendFileSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtCli, cli, leaks, LINT_FORMATS, org, sandbox, snapshot, write, type Batch, type Sandbox } from '../support/contained-cli.js';

/**
 * A hostile pull request names files outside the repository (issue 12): absolute paths,
 * `../` paths, /proc/self/environ, .git/config (the job's token), nested includes,
 * symbolic links to files and to parent directories, hard links. Each attack runs through
 * the built CLI in a temporary git repository whose environment holds a secret: every
 * command that loads the file, lint in every format; no byte of the secrets may appear, and
 * nothing outside the repository may change. The boundary itself: src/load/containment.ts.
 */

const built = builtCli();
const boxes: Sandbox[] = [];
afterAll(() => {
  for (const b of boxes) rmSync(b.top, { recursive: true, force: true });
});

/** Every command that loads a file, each output format of lint. */
function everything(box: Sandbox, extra: readonly string[] = []): Batch {
  return cli(box, [
    ...LINT_FORMATS.map((f) => ['lint', 'chainmail.yaml', '--format', f, ...extra]),
    ['test', 'chainmail.yaml', ...extra],
    ['route', 'chainmail.yaml', 'carol@example.com', ...extra],
    ['graph', 'chainmail.yaml', ...extra],
    ['build', 'chainmail.yaml', '--out', 'out', ...extra],
    ['plan', 'chainmail.yaml', '--out', 'out', '--format', 'markdown', ...extra],
  ]);
}

function ruleIds(batch: Batch): string[] {
  const json = batch.runs.find((r) => r.argv.includes('json'));
  return (JSON.parse(json?.stdout ?? '{"diagnostics":[]}') as { diagnostics: { ruleId: string }[] }).diagnostics.map((d) => d.ruleId);
}

type Attack = (box: Sandbox) => string;

const ATTACKS: [string, Attack][] = [
  ['a mailbox file by absolute path', (b) => org({ unix: `    mailboxFiles: [${b.outside}/secret.txt]\n` })],
  ['a mailbox file by ../ path', () => org({ unix: '    mailboxFiles: [../outside/secret.txt]\n' })],
  ['an include by absolute path', (b) => org({ top: `include: [${b.outside}/secret.yaml]\n` })],
  ['an include by ../ path', () => org({ top: 'include: [../outside/secret.yaml]\n' })],
  ['an include of /proc/self/environ', () => org({ top: 'include: [/proc/self/environ]\n' })],
  ['a mailbox file /proc/self/environ', () => org({ unix: '    mailboxFiles: [/proc/self/environ]\n' })],
  ['a mailbox file with .. in the middle', () => org({ unix: '    mailboxFiles: [sub/../../outside/secret.txt]\n' })],
  [
    'a nested include that climbs out',
    (b) => {
      write(b.repo, { 'sub/deeper/a.yaml': 'include: [../../../outside/secret.yaml]\n' });
      return org({ top: 'include: [sub/deeper/a.yaml]\n' });
    },
  ],
  [
    'a symbolic link to a file outside',
    (b) => {
      symlinkSync('../outside/secret.txt', join(b.repo, 'users.txt'));
      return org({ unix: '    mailboxFiles: [users.txt]\n' });
    },
  ],
  [
    'a symbolic link to /proc/self',
    (b) => {
      symlinkSync('/proc/self', join(b.repo, 'self'));
      return org({ unix: '    mailboxFiles: [self/environ]\n' });
    },
  ],
  [
    'a symbolically linked parent directory',
    (b) => {
      symlinkSync('../outside', join(b.repo, 'shared'));
      return org({ top: 'include: [shared/secret.yaml]\n', unix: '    mailboxFiles: [shared/secret.txt]\n' });
    },
  ],
  [
    '.git/config, where actions/checkout keeps the token',
    (b) => {
      appendFileSync(join(b.repo, '.git/config'), `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${b.fileSecret}\n`);
      return org({ top: 'include: [.git/config]\n', unix: '    mailboxFiles: [.git/config]\n' });
    },
  ],
  [
    'a hard link to a file outside',
    (b) => {
      linkSync(join(b.outside, 'secret.txt'), join(b.repo, 'users.txt'));
      return org({ unix: '    mailboxFiles: [users.txt]\n' });
    },
  ],
];

describe.skipIf(!built)('files named by a hostile pull request', () => {
  it.each(ATTACKS)('%s: refused with path-outside-repository, nothing leaks or changes', (_name, attack) => {
    const box = sandbox('containment-in');
    boxes.push(box);
    write(box.repo, { 'chainmail.yaml': attack(box) });
    const outside = [snapshot(box.outside), snapshot(box.victim)];
    const batch = everything(box);
    expect(batch.error).toBeUndefined();
    expect(leaks(box, batch)).toEqual([]);
    expect(ruleIds(batch)).toContain('path-outside-repository');
    // lint fails on it, build writes nothing
    expect(batch.runs.filter((r) => r.argv[0] === 'lint').map((r) => r.code)).toEqual(LINT_FORMATS.map(() => 1));
    expect(batch.runs.find((r) => r.argv[0] === 'build')?.code).toBe(1);
    expect([snapshot(box.outside), snapshot(box.victim)]).toEqual(outside);
  });

  it('still reads nothing when the file turns the rule off', () => {
    const box = sandbox('containment-off');
    boxes.push(box);
    write(box.repo, { 'chainmail.yaml': org({ top: 'lint: { rules: { path-outside-repository: off } }\n', unix: '    mailboxFiles: [../outside/secret.txt]\n' }) });
    const batch = everything(box);
    expect(leaks(box, batch)).toEqual([]);
    expect(ruleIds(batch)).not.toContain('path-outside-repository');
  });

  it('reads a directory outside only with --allow-path (the control: the secret does leak then)', () => {
    const box = sandbox('containment-allow');
    boxes.push(box);
    write(box.repo, { 'chainmail.yaml': org({ unix: '    mailboxFiles: [../outside/secret.txt]\n' }) });
    const denied = cli(box, [['lint', 'chainmail.yaml', '--format', 'json']]);
    expect(leaks(box, denied)).toEqual([]);
    const allowed = cli(box, [['lint', 'chainmail.yaml', '--format', 'json', '--allow-path', '../outside']]);
    // the file is read: its second line is no address, and lint says so, quoting it
    expect(ruleIds(allowed)).toEqual(['invalid-address']);
    expect(leaks(box, allowed)).toEqual([`lint chainmail.yaml --format json --allow-path ../outside stdout holds ${box.fileSecret}`]);
  });

  it('takes --allow-path on every command that loads a file', () => {
    const box = sandbox('containment-allow-all');
    boxes.push(box);
    write(box.outside, { 'users.txt': 'erin@example.com\n' });
    write(box.repo, { 'chainmail.yaml': org({ unix: '    mailboxFiles: [../outside/users.txt]\n' }) });
    const batch = everything(box, ['--allow-path', '../outside']);
    expect(batch.runs.map((r) => [r.argv[0], r.code, r.stderr])).toEqual(batch.runs.map((r) => [r.argv[0], 0, '']));
    // erin, read from the allowed directory, is in the compiled Postfix map
    expect(readFileSync(join(box.repo, 'out/unix/postfix/relay_recipients'), 'utf8')).toMatch(/^erin@example\.com\s/m);
  });

  it('refuses a main file that is a symbolic link out of the repository, in one line', () => {
    const box = sandbox('containment-main');
    boxes.push(box);
    symlinkSync('../outside/secret.yaml', join(box.repo, 'chainmail.yaml'));
    const batch = cli(box, [['lint', 'chainmail.yaml'], ['build', 'chainmail.yaml', '--out', 'out']]);
    expect(leaks(box, batch)).toEqual([]);
    for (const r of batch.runs) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^chainmail: chainmail\.yaml: is outside the repository [^\n]+; name a file inside it or allow its directory with --allow-path\n$/);
    }
  });
});

/** Commits the working tree of the sandbox's repository. */
function commit(box: Sandbox): void {
  const git = (...args: string[]): void => {
    const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: box.repo, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
}

describe.skipIf(!built)('plan --base reads the old version from git, contained too', () => {
  it.each([
    ['an include of /proc/self/environ', () => org({ top: 'include: [/proc/self/environ]\n' })],
    ['a mailbox file by ../ path', () => org({ unix: '    mailboxFiles: [../outside/secret.txt]\n' })],
    ['an include by ../../ path deeper than the copy', () => org({ top: 'include: [../../../../../../../../proc/self/environ]\n' })],
  ])('the base version with %s: nothing leaks', (_name, base) => {
    const box = sandbox('containment-base');
    boxes.push(box);
    write(box.repo, { 'chainmail.yaml': base() });
    commit(box);
    write(box.repo, { 'chainmail.yaml': org() });
    const batch = cli(box, ['text', 'markdown', 'json'].map((f) => ['plan', 'chainmail.yaml', '--base', 'HEAD', '--format', f]));
    expect(batch.error).toBeUndefined();
    expect(leaks(box, batch)).toEqual([]);
    for (const r of batch.runs) expect(r.stderr).not.toContain('internal error');
  });

  it('refuses a committed symbolic link in the base version, in one line', () => {
    const box = sandbox('containment-base-link');
    boxes.push(box);
    mkdirSync(join(box.repo, 'inc'));
    symlinkSync('../../outside/secret.yaml', join(box.repo, 'inc/part.yaml'));
    write(box.repo, { 'chainmail.yaml': org({ top: 'include: [inc/part.yaml]\n' }) });
    commit(box);
    write(box.repo, { 'chainmail.yaml': org() });
    const batch = cli(box, [['plan', 'chainmail.yaml', '--base', 'HEAD']]);
    expect(leaks(box, batch)).toEqual([]);
    expect(batch.runs[0]?.code).toBe(2);
    expect(batch.runs[0]?.stderr).toBe('chainmail plan: --base HEAD: "inc/part.yaml" is a symbolic link at HEAD; plan --base reads only regular files\n');
  });
});
