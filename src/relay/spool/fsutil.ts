import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** Writes every byte of `bufs` at `position`, looping over short writes. */
export async function writeAll(fh: FileHandle, bufs: readonly Buffer[], position: number): Promise<number> {
  let pos = position;
  let queue = bufs.filter((b) => b.length > 0);
  while (queue.length > 0) {
    // writev takes at most IOV_MAX (1024) buffers per call on Linux
    const slice = queue.slice(0, 512);
    const total = slice.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fh.writev(slice, pos);
    pos += bytesWritten;
    if (bytesWritten === total) {
      queue = queue.slice(slice.length);
      continue;
    }
    // a short write: drop what was written and go on with the rest
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of queue) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    queue = rest;
  }
  return pos - position;
}

/**
 * fsync of a directory: makes a file created, renamed or removed in it survive a crash.
 * ext4 without a journal gives no ordering of metadata at all, so this is not optional.
 */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Coalesces directory fsyncs: callers that ask while one is running share the next one
 * (a group commit for Maildir renames into the same folder).
 */
export class DirSyncer {
  readonly #state = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  sync(dir: string): Promise<void> {
    const s = this.#state.get(dir);
    if (!s) {
      const running = syncDir(dir).finally(() => this.#advance(dir));
      this.#state.set(dir, { running });
      return running;
    }
    // one already runs and may have started before the caller's rename: wait for the next
    s.next ??= s.running.then(
      () => undefined,
      () => undefined,
    ).then(() => syncDir(dir));
    return s.next;
  }

  #advance(dir: string): void {
    const s = this.#state.get(dir);
    if (!s) return;
    if (s.next) {
      const running = s.next.finally(() => this.#advance(dir));
      this.#state.set(dir, { running });
      // a failure is reported to its callers through `next`; the chained copy must not be unhandled
      running.catch(() => undefined);
    } else {
      this.#state.delete(dir);
    }
  }
}
