import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as a user gets it: `npm pack` of the built tree, installed from the tarball
 * into an empty folder with `npm install --offline` (the dependencies come from the npm cache
 * that `npm ci` filled; nothing is fetched), then the installed `chainmail` is run through npx.
 * `npm test` builds dist/ first; run alone without a build this test is skipped with the
 * reason, except in CI.
 */
const root = new URL('../..', import.meta.url).pathname;
const built = existsSync(join(root, 'dist/cli/bin.js'));
if (!built) {
  const reason = `${join(root, 'dist/cli/bin.js')} is missing: run "npm run build" first`;
  if (process.env['CI']) throw new Error(reason);
  console.warn(`skipping the package test: ${reason}`);
}

/** The environment of the child npm: ours without the outer `npm test`'s package variables. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_(package|lifecycle)_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  }
  return { ...env, NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false' };
}

function sh(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: childEnv(), timeout: 60_000 });
}

/** A failed command's whole story, for the assertion message. */
const show = (r: SpawnSyncReturns<string>): string => `exit ${r.status}\n${r.stdout}\n${r.stderr}`;

describe.skipIf(!built)('the npm package, installed from its tarball', { timeout: 180_000 }, () => {
  let work = '';
  let app = '';
  let tarball = '';

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'chainmail-pack-'));
    // --ignore-scripts: dist/ is built already (npm test builds first); prepack would build again
    const pack = sh('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--json'], root);
    expect(pack.status, show(pack)).toBe(0);
    const [info] = JSON.parse(pack.stdout) as { filename: string }[];
    tarball = join(work, info!.filename);
    app = join(work, 'app');
    mkdirSync(app);
    // a project of its own: without a package.json npm installs into the nearest folder up
    // the tree that has one or a node_modules (a stray /tmp/node_modules took the install)
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true }, null, 2)}\n`);
    const install = sh('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], app);
    if (install.status !== 0 && /ENOTCACHED/.test(install.stderr)) {
      // `npm ci` caches the dependencies' tarballs but not their registry metadata, which
      // `npm install <tarball>` needs to resolve ranges: pin them to this repository's lock
      // instead (the same versions) and install with `npm ci`, still offline
      console.info(`npm install --offline could not resolve the dependencies from the cache; installing with a lockfile pinned to package-lock.json`);
      rmSync(app, { recursive: true, force: true });
      mkdirSync(app);
      writePinnedLock(app, tarball);
      const ci = sh('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app);
      expect(ci.status, show(ci)).toBe(0);
    } else {
      expect(install.status, show(install)).toBe(0);
    }
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships only dist/, schemas/, docs/ and the README (no tests, no fixtures)', () => {
    const pkg = join(app, 'node_modules/chainmail');
    const files = listFiles(pkg);
    const outside = files.filter((f) => !/^(dist|schemas|docs)\//.test(f) && !['README.md', 'package.json', 'LICENSE'].includes(f));
    expect(outside).toEqual([]);
    expect(files.filter((f) => /\.test\.|\/fixtures\/|__golden__/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['dist/cli/bin.js', 'dist/index.js', 'dist/index.d.ts', 'schemas/chainmail.schema.json', 'README.md']));
  });

  it('npx chainmail --version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const r = sh('npx', ['--no-install', 'chainmail', '--version'], app);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it('npx chainmail lint checks a copy of the seed example clean', () => {
    copyFileSync(join(root, 'examples/method1/chainmail.yaml'), join(app, 'chainmail.yaml'));
    const r = sh('npx', ['--no-install', 'chainmail', 'lint', 'chainmail.yaml'], app);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout).toBe('\u2714 1 file checked, no problems\n');
  });

  it('exits 1 on a finding, with a github annotation naming the file', () => {
    copyFileSync(join(root, 'examples/method1/chainmail.yaml'), join(app, 'broken.yaml'));
    const broken = sh('node', ['-e', "const f=require('fs');f.appendFileSync('broken.yaml','\\nbogus: 1\\n')"], app);
    expect(broken.status, show(broken)).toBe(0);
    const r = sh('npx', ['--no-install', 'chainmail', 'lint', '--format', 'github', 'broken.yaml'], app);
    expect(r.status, show(r)).toBe(1);
    expect(r.stdout).toMatch(/^::error file=broken\.yaml,line=\d+,/m);
  });

  it('npm install -g of a package folder (what npm link does from a checkout) puts chainmail on the PATH', () => {
    // the folder is the installed package, whose dependencies resolve from app/node_modules,
    // as a checkout's resolve from its own node_modules; the tarball itself needs the registry
    const prefix = join(work, 'global');
    const g = sh('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(app, 'node_modules/chainmail')], work);
    expect(g.status, show(g)).toBe(0);
    const r = sh(join(prefix, 'bin/chainmail'), ['lint', join(app, 'chainmail.yaml')], work);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout).toBe('\u2714 1 file checked, no problems\n');
  });

  it('runs from a checkout as node dist/cli/bin.js', () => {
    const r = sh('node', ['dist/cli/bin.js', 'lint', 'examples/method1/chainmail.yaml'], root);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout).toBe('\u2714 1 file checked, no problems\n');
  });

  it('the library entry imports and lints', () => {
    const script = [
      "import { loadModel, lint } from 'chainmail';",
      "const r = lint(loadModel('chainmail.yaml'));",
      'console.log(JSON.stringify({ errors: r.errors, warnings: r.warnings }));',
    ].join('\n');
    const r = sh('node', ['--input-type=module', '-e', script], app);
    expect(r.status, show(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ errors: 0, warnings: 0 });
  });
});

/**
 * An app that depends on the tarball, with a lockfile whose dependency tree is the runtime
 * part of this repository's package-lock.json (its entries without `dev`), so `npm ci` finds
 * every tarball in the cache by its integrity without asking the registry.
 */
function writePinnedLock(app: string, tarball: string): void {
  interface LockEntry {
    dev?: boolean;
    devOptional?: boolean;
  }
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const spec = `file:${relative(app, tarball)}`;
  const packages: Record<string, unknown> = {
    '': { name: 'app', version: '1.0.0', dependencies: { chainmail: spec } },
    'node_modules/chainmail': { version: pkg['version'], resolved: spec, license: pkg['license'], dependencies: pkg['dependencies'], bin: pkg['bin'], engines: pkg['engines'] },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith('node_modules/') && !entry.dev && !entry.devOptional) packages[path] = entry;
  }
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { chainmail: spec } }, null, 2)}\n`);
  writeFileSync(join(app, 'package-lock.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}
