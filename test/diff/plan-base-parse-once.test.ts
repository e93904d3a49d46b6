import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli, gitAvailable, gitIn, repoRoot } from './support.js';

/*
 * `plan --base REF` (the pull request's check, issue 19) parses each YAML file of the
 * revision to find what it includes before loading it; the load takes those values instead
 * of parsing the same text again (at 100,000 recipients, 5.5 MB of contacts: ~0.7 s). The
 * fast parser (js-yaml, for files of 256 KiB and more) is counted by the size of its text:
 * the large include is parsed once for the head and once for the base.
 */
const parsed: number[] = [];
vi.mock('js-yaml', async (importOriginal) => {
  const real = await importOriginal<typeof import('js-yaml')>();
  return {
    ...real,
    load: (text: string, ...rest: unknown[]) => {
      parsed.push(text.length);
      return (real.load as (t: string, ...r: unknown[]) => unknown)(text, ...rest);
    },
  };
});

const hasGit = gitAvailable('the plan --base parse-once test');

describe.skipIf(!hasGit)('plan --base parses a revision\'s files once', () => {
  let repo = '';
  const git = gitIn(() => repo);

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'chainmail-plan-parse-once-'));
    git('init', '-q');
    const main = readFileSync(join(repoRoot, 'examples/method1/chainmail.yaml'), 'utf8').replace('version: 1\n', 'version: 1\ninclude: [contacts.yaml]\n');
    writeFileSync(join(repo, 'chainmail.yaml'), main);
    const contacts = ['version: 1', 'contacts:'];
    for (let i = 0; i < 1200; i++) {
      contacts.push(`  - cn: Partner User ${i}`, '    ou: partners', '    system: exchange', `    displayName: Partner User ${i} (partner)`, `    mailNickname: partner.user${i}`, `    targetAddress: partner.user${i}@partner.example`, `    proxyAddresses: [partner.user${i}@example.com]`);
    }
    writeFileSync(join(repo, 'contacts.yaml'), `${contacts.join('\n')}\n`);
    expect(readFileSync(join(repo, 'contacts.yaml')).length).toBeGreaterThan(256 * 1024);
    git('add', '-A');
    git('commit', '-q', '-m', 'the old version');
    // the change under review: carol leaves the UNIX server; the base is also kept as a file
    writeFileSync(join(repo, 'base.yaml'), main);
    writeFileSync(join(repo, 'chainmail.yaml'), main.replace('mailboxes: [carol@example.com, dave@example.com]', 'mailboxes: [dave@example.com]'));
  });
  afterAll(() => {
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it('the large include once for the head and once for the base, with the plan of a fresh parse', async () => {
    parsed.length = 0;
    const fromGit = await cli(['plan', 'chainmail.yaml', '--base', 'HEAD', '--format', 'json'], repo);
    expect(fromGit.stderr).toBe('');
    const large = parsed.filter((n) => n >= 256 * 1024);
    expect(large).toHaveLength(2);
    // the same base as a file (no revision to read: parsed by its load alone)
    const fromFile = await cli(['plan', 'chainmail.yaml', '--base', 'base.yaml', '--format', 'json'], repo);
    const routes = (r: { stdout: string }): unknown => (JSON.parse(r.stdout) as { routes: { changes: unknown } }).routes.changes;
    expect(routes(fromGit)).toEqual(routes(fromFile));
    expect(JSON.stringify(routes(fromGit))).toContain('carol@example.com');
  });
});
