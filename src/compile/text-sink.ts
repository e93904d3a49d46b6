import type { OutputFile } from './output.js';

/**
 * A text artifact rendered straight into UTF-8 bytes (issue 19: the artifacts of 100,000
 * recipients are tens of MB). A target appends its lines here instead of pushing them into
 * an array joined at the end: a line's strings die young (V8's scavenger copies only what
 * survives, and an array of 250,000 lines survived into the old generation, a fifth of
 * the build's CPU was GC), and no string of the whole file is ever made or encoded again.
 * Lines are gathered into a short string and encoded into large byte chunks a few KB at a
 * time: one native write per gathering, not per line.
 */
export class TextSink {
  // pieces joined at each flush: join copies them into one flat string (a string grown with += is a
  // tree V8 must flatten before encoding: 1.5-2x the CPU in a 250,000-line test)
  private pending: string[] = [];
  private pendingLength = 0;
  private chunk: Buffer | undefined;
  private at = 0;
  private readonly done: Buffer[] = [];
  private size = 0;
  private nonAscii = false;

  /** Appends `text` as is. */
  add(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= GATHER) this.flush();
  }

  /** Appends `text` and a line feed. */
  line(text: string): void {
    this.pending.push(text, '\n');
    this.pendingLength += text.length + 1;
    if (this.pendingLength >= GATHER) this.flush();
  }

  /** Appends each of `lines`, each followed by a line feed. */
  lines(lines: readonly string[]): void {
    for (const l of lines) this.line(l);
  }

  /** The bytes so far, in order (the sink must not be used after). */
  finish(): TextBytes {
    this.flush(true);
    if (this.chunk && this.at > 0) this.done.push(this.chunk.subarray(0, this.at));
    this.chunk = undefined;
    return { parts: this.done, length: this.size, ascii: !this.nonAscii };
  }

  private flush(last = false): void {
    if (this.pendingLength === 0) return;
    let text = this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    const end = text.charCodeAt(text.length - 1);
    if (!last && end >= 0xd800 && end <= 0xdbff) {
      // a pair's first half: encoded with its second, not as a lone surrogate (EF BF BD) in this gathering
      text = text.slice(0, -1);
      this.pending.push(String.fromCharCode(end));
      this.pendingLength = 1;
      if (text === '') return;
    }
    // at most 3 bytes per UTF-16 unit (a surrogate pair is 4 bytes for 2 units); the exact count only near a chunk's end
    let room = this.chunk ? this.chunk.length - this.at : 0;
    if (room < text.length * 3) {
      const need = Buffer.byteLength(text, 'utf8');
      if (room < need) {
        if (this.chunk && this.at > 0) this.done.push(this.chunk.subarray(0, this.at));
        // chunks grow with the file (a small file stays small), up to 1 MiB
        this.chunk = Buffer.allocUnsafe(Math.max(need, Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, this.size))));
        this.at = 0;
        room = this.chunk.length;
      }
    }
    const n = (this.chunk as Buffer).write(text, this.at, 'utf8');
    if (n !== text.length) this.nonAscii = true;
    this.at += n;
    this.size += n;
  }
}

/** Characters gathered before they are encoded: small enough to stay in the CPU cache. */
const GATHER = 16 * 1024;
const MIN_CHUNK = 64 * 1024;
const MAX_CHUNK = 1024 * 1024;

/** A rendered text: its UTF-8 bytes in parts, their total length, and whether every byte is ASCII. */
export interface TextBytes {
  readonly parts: readonly Uint8Array[];
  readonly length: number;
  readonly ascii: boolean;
}

/** The UTF-8 byte order mark (EF BB BF). */
export const UTF8_BOM: Uint8Array = Uint8Array.of(0xef, 0xbb, 0xbf);

/**
 * An {@link OutputFile} whose text is held as UTF-8 parts: emit, the manifest hash, the
 * comparison and the write use the parts; `content` is the decoded text, made only when
 * something reads it (the library API and the tests; the CLI never does).
 */
export function utf8File(path: string, parts: readonly Uint8Array[]): OutputFile {
  let text: string | undefined;
  const f = Object.defineProperty({ path } as { readonly path: string; readonly content: string }, 'content', {
    enumerable: true,
    get: () => (text ??= decodeParts(parts)),
  });
  UTF8.set(f, parts);
  return f;
}

const UTF8 = new WeakMap<OutputFile, readonly Uint8Array[]>();

/** The UTF-8 parts of a file made by {@link utf8File}; undefined for any other file. */
export function utf8Parts(f: OutputFile): readonly Uint8Array[] | undefined {
  return UTF8.get(f);
}

function decodeParts(parts: readonly Uint8Array[]): string {
  return (parts.length === 1 && parts[0] ? Buffer.from(parts[0].buffer, parts[0].byteOffset, parts[0].byteLength) : Buffer.concat(parts)).toString('utf8');
}
