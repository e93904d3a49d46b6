import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const dist = join(root, 'dist/index.js');

describe('the README library example', () => {
  it.skipIf(!existsSync(dist) && !process.env['CI'])('runs against the built package and prints routes', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = /## Library[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'chainmail-readme-'));
    try {
      const file = join(dir, 'example.mjs');
      writeFileSync(file, (code ?? '').replace("from 'chainmail'", `from ${JSON.stringify(dist)}`));
      const out = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8' });
      expect(out).toContain('carol@example.com delivered unix');
      expect(out).toContain('nobody@example.com bounced unix 5.1.1');
      expect(out).toContain('unix/postfix/transport');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
