import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYABLE_PARAMETERS } from '../../src/deploy/artifacts.js';
import { isOneLineMessage, repoRoot, run } from './support.js';

/**
 * `chainmail deploy postfix` treats the build directory as hostile data: it refuses, with one
 * line and exit 1, before it runs any Postfix command or touches the config directory.
 * (The deploy itself, against a real Postfix: test/integration/deploy-postfix.test.ts.)
 */
const GOLDEN = join(repoRoot, 'testdata/compile/003-postfix-gateway/out');

let work = '';
let n = 0;
/** A copy of the golden build, edited; `conf` is a config dir that must stay untouched. */
function build(edit: (dir: string) => void = () => undefined): string {
  const dir = join(work, `b${n++}`);
  cpSync(GOLDEN, dir, { recursive: true });
  edit(dir);
  return dir;
}
/** Rewrites a file and its manifest sha256, as a hand-edited build would. */
function rewrite(dir: string, path: string, text: string): void {
  writeFileSync(join(dir, path), text);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string }[] };
  const f = m.files.find((x) => x.path === path);
  if (f) f.sha256 = createHash('sha256').update(text).digest('hex');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'chainmail-deploy-cli-'));
  mkdirSync(join(work, 'conf'));
  writeFileSync(join(work, 'conf/main.cf'), 'compatibility_level = 3.6\n');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const deploy = (dir: string, ...extra: string[]) => run(['deploy', 'postfix', dir, '-c', join(work, 'conf'), '--map-dir', join(work, 'maps'), ...extra], { env: { PATH: process.env.PATH } });

describe('chainmail deploy postfix refuses a build directory it cannot trust', () => {
  it.each<[string, (dir: string) => void, RegExp]>([
    ['a map changed after the build', (d) => writeFileSync(join(d, 'gw/postfix/transport'), 'evil.example relay:[192.0.2.66]\n'), /gw\/postfix\/transport was changed after the build \(sha256 [0-9a-f]{12}\.\.\., manifest.json says [0-9a-f]{12}\.\.\.\): rebuild/],
    ['a map that is a symbolic link', (d) => {
      rmSync(join(d, 'gw/postfix/virtual'));
      symlinkSync('/etc/passwd', join(d, 'gw/postfix/virtual'));
    }, /gw\/postfix\/virtual is a symbolic link: deploy reads only regular files/],
    ['a system directory that is a symbolic link', (d) => {
      cpSync(join(d, 'gw'), join(d, 'gw-real'), { recursive: true });
      rmSync(join(d, 'gw'), { recursive: true });
      symlinkSync(join(d, 'gw-real'), join(d, 'gw'));
    }, /\/gw is a symbolic link: deploy reads only real directories/],
    ['a map that is a directory', (d) => {
      rmSync(join(d, 'gw/postfix/relay_domains'));
      mkdirSync(join(d, 'gw/postfix/relay_domains'));
    }, /relay_domains is no regular file/],
    ['a main.cf parameter chainmail never writes', (d) => rewrite(d, 'gw/postfix/main.cf', 'command_directory = /tmp/evil\n'), /main\.cf:1: "command_directory" is no parameter chainmail writes/],
    ['a main.cf line that is no setting', (d) => rewrite(d, 'gw/postfix/main.cf', 'relay_domains\n'), /main\.cf:1: expected "name = value"/],
    ['a file the manifest does not list', (d) => {
      const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')) as { files: { path: string }[] };
      m.files = m.files.filter((f) => f.path !== 'gw/postfix/virtual');
      writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
    }, /lists no gw\/postfix\/virtual/],
    ['no manifest', (d) => rmSync(join(d, 'manifest.json')), /manifest\.json does not exist/],
  ])('%s', async (_, edit, message) => {
    const r = await deploy(build(edit), '--system', 'gw');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(isOneLineMessage(r.stderr)).toBe(true);
    expect(r.stdout).toBe('');
    expect(readdirSync(work).includes('maps')).toBe(false);
    expect(readFileSync(join(work, 'conf/main.cf'), 'utf8')).toBe('compatibility_level = 3.6\n');
  });

  it('asks which system when the build has several', async () => {
    const r = await deploy(build());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/holds Postfix artifacts of "gw", "unix": name one with --system/);
  });

  it.each([
    [['deploy'], /say what to deploy: chainmail deploy postfix DIR/],
    [['deploy', 'exchange', 'out'], /cannot deploy "exchange"; only postfix/],
    [['deploy', 'postfix'], /name the --out directory of chainmail build/],
    [['deploy', 'postfix', 'out', '--map-type', 'btree'], /--map-type must be hash or lmdb, not "btree"/],
  ])('usage: %j', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('the parameters deploy applies', () => {
  it('are every parameter chainmail build writes into a main.cf', () => {
    const written = new Set<string>();
    for (const c of readdirSync(join(repoRoot, 'testdata/compile'))) {
      const out = join(repoRoot, 'testdata/compile', c, 'out');
      for (const sys of readdirSync(out, { withFileTypes: true }).filter((e) => e.isDirectory())) {
        let text = '';
        try {
          text = readFileSync(join(out, sys.name, 'postfix/main.cf'), 'utf8');
        } catch {
          continue;
        }
        for (const l of text.split('\n')) if (/^[a-z]/.test(l)) written.add(l.split(' ')[0] ?? '');
      }
    }
    expect(written.size).toBeGreaterThan(15);
    expect([...written].filter((p) => !DEPLOYABLE_PARAMETERS.has(p))).toEqual([]);
  });
});
