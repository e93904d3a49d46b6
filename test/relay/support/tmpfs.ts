import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real small file system for a spool: a tmpfs of `size` mounted at a fresh directory. */
export interface Tmpfs {
  readonly dir: string;
  unmount(): void;
}

/**
 * Mounts a tmpfs (`mount -t tmpfs -o size=SIZE`, root only). When that is not possible
 * here: under CI (CI set) this throws, so the tests that need it FAIL; on a developer
 * machine it returns the reason, printed once, and the caller skips.
 */
export function mountTmpfs(size: string): Tmpfs | { readonly reason: string } {
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const reason = `cannot mount a ${size} tmpfs (${(e as Error).message.split('\n')[0]}): run the tests as root`;
    if (process.env['CI']) throw new Error(`${reason}; CI is set, so tests that need it fail instead of skipping`);
    console.warn(`skipping tests that need a small file system: ${reason}`);
    return { reason };
  }
  return {
    dir,
    unmount: () => {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Fills the file system of `dir` with a file until ENOSPC; returns the file (remove it to free the space). */
export function fillDisk(dir: string, name = 'filler'): string {
  const file = join(dir, name);
  execFileSync('sh', ['-c', `dd if=/dev/zero of="$1" bs=4096 2>/dev/null; true`, 'fill', file]);
  return file;
}
