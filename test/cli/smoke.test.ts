import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/cli/version.js';
import { repoRoot } from './support.js';

/**
 * The one test of the built package: `npm test` builds dist/ before vitest runs. Run alone
 * (`npx vitest run test/cli`) without a build it is skipped with the reason, except in CI.
 */
const bin = join(repoRoot, 'dist/cli/bin.js');
const built = existsSync(bin);
if (!built) {
  const reason = `${bin} is missing: run "npm run build" first`;
  if (process.env['CI']) throw new Error(reason);
  console.warn(`skipping the smoke test of the built bin: ${reason}`);
}

function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built)('the built bin (node dist/cli/bin.js)', () => {
  it('--version prints the package version', () => {
    expect(node(['--version'])).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('lints the seed example clean', () => {
    const r = node(['lint', 'examples/method1/chainmail.yaml']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('\u2714 1 file checked, no problems\n');
    expect(r.status).toBe(0);
  });

  it('exits 1 with findings and 2 for a missing file, without a stack trace', () => {
    const invalid = node(['lint', '--format', 'github', 'test/cli/fixtures/invalid.yaml']);
    expect(invalid.status).toBe(1);
    expect(invalid.stdout).toMatch(/^::error file=test\/cli\/fixtures\/invalid\.yaml,/m);
    const missing = node(['lint', 'no/such/file.yaml']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^chainmail: no\/such\/file\.yaml: no such file; check the path\n$/);
  });

  it('routes a list on standard input (--recipients -) exactly as the same list in a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainmail-stdin-'));
    try {
      // a BOM, UTF-8 (an IDN and a non-ASCII local part), CRLF, a comment, <...>
      const text = '\ufeffcarol@example.com\r\n# comment\n<robert@example.com>\nyamada@\u4f8b\u3048.jp\n\u00e9l\u00e8ve@example.com\nnobody@example.com';
      const list = join(dir, 'list.txt');
      writeFileSync(list, text);
      const args = [bin, 'route', 'examples/method1/chainmail.yaml', '--recipients'];
      const env = { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' };
      const fromFile = spawnSync(process.execPath, [...args, list], { cwd: repoRoot, env, encoding: 'utf8', timeout: 30_000 });
      const fromStdin = spawnSync(process.execPath, [...args, '-'], { cwd: repoRoot, env, encoding: 'utf8', timeout: 30_000, input: Buffer.from(text, 'utf8') });
      expect(fromFile.status).toBe(0);
      expect(fromFile.stdout.match(/^\S.*$/gm)).toEqual(['carol@example.com', 'robert@example.com', 'yamada@\u4f8b\u3048.jp (yamada@xn--r8jz45g.jp)', '\u00e9l\u00e8ve@example.com', 'nobody@example.com']);
      expect(fromStdin).toMatchObject({ status: 0, stdout: fromFile.stdout, stderr: fromFile.stderr });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops quietly when the reader closes the pipe early (| head): no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainmail-epipe-'));
    try {
      // 200,000 routes: far more than a pipe buffer holds, so writes go on after the close
      const list = join(dir, 'recipients.txt');
      writeFileSync(list, 'user@example.com\n'.repeat(200_000));
      const child = spawn(process.execPath, [bin, 'route', 'examples/method1/chainmail.yaml', '--recipients', list], { cwd: repoRoot, env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' } });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      // read the first chunk, then close our end, as head does after its lines
      await new Promise<void>((done) => child.stdout.once('data', () => done()));
      child.stdout.destroy();
      const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
      expect(stderr).toBe('');
      expect(status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
