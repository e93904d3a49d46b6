import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/import/ldap/settings.js';
import type { DirectorySource } from '../../src/model/config.generated.js';

/*
 * `import ldap --config FILE`: the paths FILE names (passwordFile, ca, snapshot) stay inside
 * FILE's directory by their real paths, not only as written (docs/directory.md, Security).
 * A committed symbolic link must not make the import send the first line of another file
 * as the bind password, trust another file as CA, or write its snapshot elsewhere. Paths
 * typed on the command line are the operator's and are not confined.
 */

const root = mkdtempSync(join(tmpdir(), 'chainmail-ldap-paths-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const SECRET = 'SECRET-OUTSIDE-0123456789';
let n = 0;

/** A repository directory holding the chainmail file, and a secret and a directory beside it (outside). */
function tree(): { dir: string; outside: string } {
  const base = join(root, String(n++));
  const dir = join(base, 'repo');
  const outside = join(base, 'outside');
  mkdirSync(dir, { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), `${SECRET}\n${PEM}`);
  return { dir, outside };
}

const source = (extra: Partial<DirectorySource>): DirectorySource => ({ url: 'ldaps://dc.example.com', baseDn: 'dc=example,dc=com', ...extra }) as DirectorySource;
const settings = (dir: string, extra: Partial<DirectorySource>, flags = {}) => resolveSettings(flags, dir, {}, { dir, source: source(extra) });

describe('import ldap: paths the chainmail file names stay in its directory by their real paths', () => {
  it('reads a password file and a CA inside the directory, through a link that stays inside', () => {
    const { dir } = tree();
    writeFileSync(join(dir, 'pw.txt'), 'hunter2\n');
    writeFileSync(join(dir, 'ca.pem'), PEM);
    symlinkSync('pw.txt', join(dir, 'pw-link'));
    const r = settings(dir, { bindDn: 'cn=svc,dc=example,dc=com', passwordFile: 'pw-link', ca: 'ca.pem', snapshot: 'snap.yaml' });
    expect(typeof r, String(r)).toBe('object');
    if (typeof r === 'string') return;
    expect(r.query.password).toBe('hunter2');
    expect(r.query.ca).toBe(PEM);
    expect(r.out).toBe(join(dir, 'snap.yaml'));
  });

  it.each([
    ['passwordFile', (d: string, o: string) => (symlinkSync(join(o, 'secret'), join(d, 'pw')), { passwordFile: 'pw' }), /^directory\.passwordFile "pw" leads outside the chainmail file's directory/],
    ['ca', (d: string, o: string) => (symlinkSync(join(o, 'secret'), join(d, 'ca.pem')), { ca: 'ca.pem' }), /^directory\.ca "ca\.pem" leads outside the chainmail file's directory/],
    ['passwordFile in a linked directory', (d: string, o: string) => (symlinkSync(o, join(d, 'sub')), { passwordFile: 'sub/secret' }), /^directory\.passwordFile "sub\/secret" leads outside/],
    ['passwordFile that is a FIFO', (d: string) => (execFileSync('mkfifo', [join(d, 'pw')]), { passwordFile: 'pw' }), /^directory\.passwordFile "pw" is a named pipe \(FIFO\), not a regular file/],
    ['snapshot in a linked directory', (d: string, o: string) => (symlinkSync(o, join(d, 'sub')), { snapshot: 'sub/snap.yaml' }), /^directory\.snapshot "sub\/snap\.yaml" leads outside the chainmail file's directory/],
    ['snapshot that is a link', (d: string, o: string) => (symlinkSync(join(o, 'secret'), join(d, 'snap.yaml')), { snapshot: 'snap.yaml' }), /^directory\.snapshot "snap\.yaml" is a symbolic link; the snapshot is written only as a regular file/],
  ])('refuses a %s leading out, in one line, without its content', (_name, plant, message) => {
    const { dir, outside } = tree();
    const r = settings(dir, plant(dir, outside));
    expect(typeof r).toBe('string');
    expect(r).toMatch(message);
    expect(String(r)).not.toContain('SECRET');
    expect(String(r)).not.toContain('\n');
    expect(existsSync(join(outside, 'snap.yaml'))).toBe(false);
    expect(readFileSync(join(outside, 'secret'), 'utf8').startsWith(SECRET)).toBe(true);
  });

  it('still refuses a path that leaves the directory as written', () => {
    const { dir } = tree();
    expect(settings(dir, { snapshot: '../outside/snap.yaml' })).toMatch(/directory\.snapshot "\.\.\/outside\/snap\.yaml" leaves the chainmail file's directory/);
  });

  it('does not confine paths typed on the command line (the operator names them)', () => {
    const { dir, outside } = tree();
    const r = resolveSettings({ passwordFile: join(outside, 'secret'), out: join(outside, 'snap.yaml') }, dir, {}, { dir, source: source({}) });
    expect(typeof r, String(r)).toBe('object');
    if (typeof r === 'string') return;
    expect(r.query.password).toBe(SECRET);
    expect(r.out).toBe(join(outside, 'snap.yaml'));
  });
});
