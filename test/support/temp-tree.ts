import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh temp directory per test (removed after it), and a writer of files below it. */
export interface TempTree {
  readonly dir: string;
  write(name: string, text: string): string;
}

export function useTempTree(prefix: string): TempTree {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), `chainmail-${prefix}-`));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return {
    get dir() {
      return dir;
    },
    write(name: string, text: string): string {
      const p = join(dir, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
      return p;
    },
  };
}
