import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * A temp file beside the target, then rename(2): a reader sees the old or the new file,
 * never half of one, and a symbolic link at the target is replaced, not written through.
 * The temp file is created new (O_EXCL): a link planted under its name is removed, never followed.
 */
export function writeAtomically(file: string, content: string | Uint8Array): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    rmSync(tmp, { force: true });
    writeFileSync(tmp, content, { flag: 'wx' });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
