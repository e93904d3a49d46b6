import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../diff/support.js';

/** Bad input to `chainmail import`: one line per problem, naming file and line; nothing written. */
const tmp = mkdtempSync(join(tmpdir(), 'chainmail-import-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A directory with the given files. */
function site(files: Record<string, string>): string {
  const dir = join(tmp, `site-${++n}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('import postfix: bad input', () => {
  it.each<[string, Record<string, string>, string[]]>([
    ['a transport line without a value', { relay_domains: 'example.com OK\n', transport: '# routes\nexample.com\n' }, ['transport:2: "example.com" has no value: expected "key whitespace value" (postmap(1))']],
    ['a next hop that is no host', { transport: 'example.com smtp:[10.0.0.5\n' }, ['transport:1: next hop "[10.0.0.5" is not [host]:port or host:port']],
    ['an invalid relay domain', { relay_domains: 'example.com OK\nexample..com OK\n' }, ['relay_domains:2: relay domain "example..com" has an empty label (two dots in a row, or a leading dot)']],
    ['an invalid virtual target', { virtual: 'a@example.com not-an-address\n' }, ['virtual:1: virtual alias target "not-an-address" is not of the form local@domain']],
    ['a main.cf line that is no parameter', { 'main.cf': 'relay_domains = example.com\nthis is not\n' }, ['main.cf:2: expected "name = value" (postconf(5))']],
    [
      'a map that main.cf names but is nowhere',
      { 'main.cf': 'relay_domains = example.com\ntransport_maps = hash:/nonexistent/chainmail/transport\n' },
      ['main.cf:2: transport_maps names hash:/nonexistent/chainmail/transport, but neither /nonexistent/chainmail/transport nor DIR/transport can be read; copy its source file beside main.cf'],
    ],
    ['a hopcount_limit that is no number', { 'main.cf': 'hopcount_limit = many\n' }, ['main.cf:1: hopcount_limit "many" is not a number']],
  ])('%s', async (_name, files, problems) => {
    const dir = site(files);
    const out = join(dir, 'out.yaml');
    const r = await cli(['import', 'postfix', dir, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.slice(0, -1)).toEqual(problems.map((p) => `chainmail import: ${dir}/${p.replace('DIR/', `${dir}/`)}`));
    expect(lines.at(-1)).toMatch(/^chainmail import: \d+ lines? cannot be read; nothing was written$/);
    expect(existsSync(out)).toBe(false);
  });

  it.each<[string, string[], RegExp]>([
    ['a directory that does not exist', ['import', 'postfix', 'no/such/dir'], /^chainmail import: no\/such\/dir: no such file or directory; name the directory with the maps or a main\.cf\n$/],
    ['nothing to import', ['import', 'postfix', '.'], /^chainmail import: \. has no main\.cf and none of relay_domains, transport, relay_recipients, virtual; name the directory with the map source files\n$/],
    ['an unknown kind', ['import', 'sendmail', 'x'], /^chainmail import: name what to import: postfix DIR, csvde FILE or ldap URL, not "sendmail"\n$/],
    ['a bad --system', ['import', 'postfix', 'x', '--system', 'a b'], /^chainmail import: --system "a b" is not a system name/],
    ['a missing csvde file', ['import', 'csvde', 'nope.csv'], /^chainmail import: nope\.csv: no such file; check the path\n$/],
  ])('%s: exit 2, one line', async (_name, args, message) => {
    const r = await cli(args, site({}));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('never replaces an existing --out file without --force', async () => {
    const dir = site({ relay_domains: 'example.com OK\n', relay_recipients: 'a@example.com OK\n', transport: 'a@example.com local:\n', 'keep.yaml': 'mine\n' });
    const r = await cli(['import', 'postfix', '.', '--out', 'keep.yaml'], dir);
    expect([r.code, r.stderr]).toEqual([2, 'chainmail import: keep.yaml exists; use --force to replace it\n']);
    const forced = await cli(['import', 'postfix', '.', '--out', 'keep.yaml', '--force'], dir);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^wrote keep\.yaml: 1 domain, 1 system, 1 mailbox, 0 connectors, 0 chains, 0 contacts\nlint: /);
  });

  it('a csvde file with a bad row: file and line, nothing written', async () => {
    const dir = site({ 'c.csv': 'dn,targetAddress\nCN=a,a@example.com\nCN=b\n' });
    const r = await cli(['import', 'csvde', 'c.csv', '--out', 'c.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('chainmail import: c.csv:3: has 1 fields, the header 2\nchainmail import: 1 line cannot be read; nothing was written\n');
    expect(existsSync(join(dir, 'c.yaml'))).toBe(false);
  });
});
