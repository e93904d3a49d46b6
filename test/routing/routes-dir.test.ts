import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './cli-io.js';

/*
 * `chainmail route --routes DIR`: routing over the routes.json files of a build instead of
 * the YAML. The routes must be the very ones `route FILE` prints, byte for byte.
 */

const tmp = mkdtempSync(join(tmpdir(), 'chainmail-routes-dir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// the examples, and a file with warnings only (build refuses a file with errors, such as a loop)
const FILES = ['examples/method1/chainmail.yaml', 'examples/method2/chainmail.yaml', 'examples/forests/chainmail.yaml', 'examples/idn-chain/chainmail.yaml', 'test/fixtures/routing/method1-no-gateway-check.yaml'];

async function build(file: string, name: string): Promise<string> {
  const out = join(tmp, name);
  const r = await run(['build', file, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** Every address a table names, an unknown one in every domain, and a few that no system accepts. */
function addressesOf(out: string): string[] {
  const all = new Set<string>(['someone@foreign.test', 'user@[192.0.2.1]', 'not-an-address', 'Carol@EXAMPLE.com']);
  for (const system of readdirSync(out)) {
    let table: { recipients: Record<string, unknown>; knownRecipients: string[]; hosted?: Record<string, string>; domains: Record<string, unknown> };
    try {
      table = JSON.parse(readFileSync(join(out, system, 'routes.json'), 'utf8')) as typeof table;
    } catch {
      continue;
    }
    for (const k of [...Object.keys(table.recipients), ...table.knownRecipients, ...Object.keys(table.hosted ?? {})]) all.add(k);
    for (const d of Object.keys(table.domains)) all.add(`nobody-here@${d}`);
  }
  return [...all];
}

describe('chainmail route --routes DIR', () => {
  it.each(FILES)('routes %s as route FILE does (text, --json, --from every system)', async (file) => {
    const out = await build(file, file.replace(/[/.]/g, '-'));
    const addresses = addressesOf(out);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: { path: string }[] };
    const systems = manifest.files.map((f) => /^([^/]+)\/routes\.json$/.exec(f.path)?.[1]).filter((s) => s !== undefined);
    expect(systems.length).toBeGreaterThan(0);
    for (const from of ['internet', ...systems]) {
      for (const json of [[], ['--json']]) {
        const fromFile = await run(['route', file, ...addresses, '--from', from, ...json]);
        const fromDir = await run(['route', '--routes', out, ...addresses, '--from', from, ...json]);
        expect(fromFile.code, fromFile.stderr).toBe(0);
        expect(fromDir.stderr).toBe('');
        expect(fromDir.code).toBe(0);
        expect(fromDir.stdout).toBe(fromFile.stdout);
      }
    }
  });

  it('does not read the YAML: the build is routed after the file is gone', async () => {
    const dir = join(tmp, 'gone');
    mkdirSync(dir);
    copyFileSync('examples/method1/chainmail.yaml', join(dir, 'chainmail.yaml'));
    const out = join(dir, 'out');
    expect((await run(['build', join(dir, 'chainmail.yaml'), '--out', out])).code).toBe(0);
    const before = await run(['route', join(dir, 'chainmail.yaml'), 'carol@example.com']);
    rmSync(join(dir, 'chainmail.yaml'));
    const after = await run(['route', '--routes', out, 'carol@example.com', '--recipients', '-'], { stdin: 'nobody@example.com\n' });
    expect(after.code).toBe(0);
    expect(after.stdout.startsWith(before.stdout)).toBe(true);
    // the Exchange gateway accepts unknown recipients of an InternalRelay domain; the last system bounces them
    expect(after.stdout).toContain('=> bounced by unix: 550 5.1.1');
  });

  it.each([
    ['a directory without manifest.json', (d: string) => rmSync(join(d, 'manifest.json')), /^chainmail route: cannot read .*manifest\.json \(ENOENT\); --routes names a directory written by chainmail build --out\n$/],
    ['a manifest that is not JSON', (d: string) => writeFileSync(join(d, 'manifest.json'), '{'), /^chainmail route: cannot read .*manifest\.json \(not valid JSON\)/],
    ['a manifest without routes.json', (d: string) => writeFileSync(join(d, 'manifest.json'), '{"files":[{"path":"unix/postfix/transport"}]}'), /holds no routes\.json \(its manifest lists none\)/],
    ['a routes.json that is not JSON', (d: string) => writeFileSync(join(d, 'unix', 'routes.json'), '{ "version": 1,'), /unix\/routes\.json: not valid JSON .*; rebuild it with chainmail build\n$/],
    ['a routes.json of another system', (d: string) => copyFileSync(join(d, 'exchange', 'routes.json'), join(d, 'unix', 'routes.json')), /unix\/routes\.json is the table of system "exchange", not "unix"; rebuild/],
    ['a routes.json that is missing', (d: string) => rmSync(join(d, 'unix', 'routes.json')), /^chainmail route: cannot read .*unix\/routes\.json \(ENOENT\); rebuild .* with chainmail build\n$/],
    ['a routes.json that is no routing table', (d: string) => writeFileSync(join(d, 'unix', 'routes.json'), '{"version":1}'), /unix\/routes\.json: not a chainmail routing table/],
  ])('refuses %s with one line and exit 2', async (name, spoil, message) => {
    const out = await build('examples/method1/chainmail.yaml', `bad-${name.replace(/\W+/g, '-')}`);
    spoil(out);
    const r = await run(['route', '--routes', out, 'carol@example.com']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  // DIR may be committed (a pull request chooses its files): nothing outside DIR is read or shown
  it.each([
    [
      'a manifest that lists ../routes.json',
      (d: string) => writeFileSync(join(d, 'manifest.json'), JSON.stringify({ files: [{ path: '../routes.json' }, { path: 'unix/routes.json' }] })),
      /manifest\.json lists a routes\.json that is not <system>\/routes\.json inside .*; rebuild .* with chainmail build\n$/,
    ],
    ['a routes.json that is a symbolic link out of DIR', (d: string) => (rmSync(join(d, 'unix', 'routes.json')), symlinkSync(join(d, '..', 'routes.json'), join(d, 'unix', 'routes.json'))), /unix\/routes\.json leads outside .*: --routes reads only the files of the build; rebuild .* with chainmail build\n$/],
    ['a manifest.json that is a symbolic link out of DIR', (d: string) => (rmSync(join(d, 'manifest.json')), symlinkSync(join(d, '..', 'routes.json'), join(d, 'manifest.json'))), /manifest\.json leads outside .*; --routes names a directory written by chainmail build --out\n$/],
    ['a manifest.json that is a named pipe', (d: string) => (rmSync(join(d, 'manifest.json')), execFileSync('mkfifo', [join(d, 'manifest.json')])), /manifest\.json is a named pipe \(FIFO\), not a regular file; --routes names/],
  ])('refuses %s, reading nothing outside DIR', async (name, spoil, message) => {
    const parent = join(tmp, `outside-${name.replace(/\W+/g, '-')}`);
    mkdirSync(parent);
    // outside DIR: a file whose first bytes a JSON error message would quote
    writeFileSync(join(parent, 'routes.json'), 'SECRET-TOKEN-0123456789');
    const out = join(parent, 'out');
    expect((await run(['build', 'examples/method1/chainmail.yaml', '--out', out])).code).toBe(0);
    spoil(out);
    const r = await run(['route', '--routes', out, 'carol@example.com']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('SECRET');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('takes addresses only: a FILE as well is a usage error', async () => {
    const out = await build('examples/method1/chainmail.yaml', 'usage');
    const r = await run(['route', '--routes', out, 'examples/method1/chainmail.yaml', 'carol@example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--routes DIR replaces FILE: name the addresses only');
    const from = await run(['route', '--routes', out, 'carol@example.com', '--from', 'nowhere']);
    expect(from.code).toBe(2);
    expect(from.stderr).toContain('unknown system "nowhere" for --from');
  });
});
