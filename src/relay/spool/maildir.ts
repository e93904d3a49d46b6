import { mkdir, open, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isQueueId } from '../queue-id.js';
import { syncDir, writeAll, type DirSyncer } from './fsutil.js';

/**
 * The folder name of a mailbox: the address with every character that could escape the
 * mailboxes/ directory or confuse a shell or a Maildir reader percent-encoded (UTF-8
 * bytes). Letters and digits of any script stay as they are, so a Japanese local part is
 * readable on disk; "%" itself is encoded, so the mapping is one to one.
 */
export function mailboxFolder(address: string): string {
  const enc = address.replace(/[^\p{L}\p{N}._+=@-]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  // "." and ".." (and hidden names) never: a leading dot is encoded too
  return enc.startsWith('.') ? `%2E${enc.slice(1)}` : enc;
}

/** The host part of a Maildir name: "/" and ":" are reserved (maildir(5)). */
export function maildirHost(hostname: string): string {
  return hostname.replace(/\//g, '\\057').replace(/:/g, '\\072');
}

/**
 * Delivery into Maildir folders under `<spool>/mailboxes/` (https://cr.yp.to/proto/maildir.html):
 * write tmp/NAME, fsync, rename to new/NAME, fsync new/. NAME is derived from the queue id
 * and the recipient index, unique on this host for ever; because it is deterministic a
 * message redelivered after a crash finds its earlier copy and is not delivered twice.
 */
export class Maildirs {
  readonly root: string;
  readonly #host: string;
  readonly #dirs: DirSyncer;
  readonly #ready = new Map<string, Promise<void>>();

  constructor(root: string, hostname: string, dirs: DirSyncer) {
    this.root = root;
    this.#host = maildirHost(hostname);
    this.#dirs = dirs;
  }

  /** The Maildir file name of recipient `index` of message `id` that arrived at `arrival` (ms). */
  fileName(id: string, index: number, arrival: number): string {
    // defence in depth: recover.ts already quarantines records with such ids
    if (!isQueueId(id) || !Number.isInteger(index) || !Number.isFinite(arrival)) throw new Error(`refusing a Maildir name for queue id ${JSON.stringify(id).slice(0, 60)}`);
    return `${Math.floor(arrival / 1000)}.Q${id}R${index}.${this.#host}`;
  }

  /**
   * Delivers `parts` (written in order) to `mailbox`. With `checkExisting` (a message that
   * was in the spool at a restart) an existing copy in new/ or cur/ counts as delivered.
   */
  async deliver(mailbox: string, name: string, parts: readonly Buffer[], checkExisting: boolean): Promise<'delivered' | 'duplicate'> {
    const dir = join(this.root, mailboxFolder(mailbox));
    await this.#prepare(dir);
    if (checkExisting && (await this.#exists(dir, name))) return 'duplicate';
    const tmp = join(dir, 'tmp', name);
    const fh = await open(tmp, 'w', 0o600);
    try {
      // every piece of the message, however many (writev takes at most IOV_MAX per call)
      await writeAll(fh, parts, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, 'new', name));
    await this.#dirs.sync(join(dir, 'new'));
    return 'delivered';
  }

  #prepare(dir: string): Promise<void> {
    let p = this.#ready.get(dir);
    if (!p) {
      p = (async () => {
        let fresh = false;
        try {
          await stat(join(dir, 'new'));
        } catch {
          fresh = true;
        }
        if (!fresh) return;
        for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true });
        // the new folders must survive a crash like the files in them
        await syncDir(dir);
        await syncDir(this.root);
      })();
      p.catch(() => this.#ready.delete(dir));
      this.#ready.set(dir, p);
    }
    return p;
  }

  async #exists(dir: string, name: string): Promise<boolean> {
    for (const p of [join(dir, 'new', name), join(dir, 'cur', name)]) {
      try {
        await stat(p);
        return true;
      } catch {
        // not there
      }
    }
    // a reader that saw it moved it to cur/ with flags: "NAME:2,S"
    const cur = await readdir(join(dir, 'cur')).catch(() => [] as string[]);
    return cur.some((n) => n.startsWith(`${name}:`));
  }
}
