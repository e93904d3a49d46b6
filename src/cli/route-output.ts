import type { CliIo } from './io.js';

/*
 * Output of many routes (chainmail route --recipients, text and --json): one byte buffer
 * written per 64 KiB, and a class's rendering with its recipient's values left out (issue
 * 19: the route memo gives a class, rendered once; each recipient is the template filled).
 */

/** The addresses to write, one at a time (route-recipients.ts's AddressList). */
export interface Addresses {
  /** The next address, or undefined after the last. */
  next(): string | undefined;
  /** How many next() has given. */
  readonly given: number;
}

/**
 * What a class is rendered with in place of its recipient (slot 0), mailbox (1), contact's
 * target (2) and name (3). No "@": bothForms() leaves them as they are, as it leaves a plain
 * ASCII address.
 */
export const PLACEHOLDERS = ['\u0001R\u0001', '\u0001M\u0001', '\u0001T\u0001', '\u0001C\u0001'] as const;

/** Bytes written per stdout call (at a route's end): output streams for 100,000 recipients. */
export const CHUNK_BYTES = 64 * 1024;

/**
 * A class's rendering with the recipient (slot 0), mailbox (1), contact's target (2) and
 * name (3) left out: parts[0] slot[0] parts[1] ... slot[n-1] parts[n].
 */
export interface Template {
  readonly parts: readonly string[];
  /** `parts` in UTF-8. */
  readonly bytes: readonly Uint8Array[];
  readonly slots: readonly number[];
  /** Compared once with the full rendering of a recipient of the class. */
  checked: boolean;
}

/**
 * `text` cut at each of `markers` (the placeholders the class was rendered with, as they
 * appear in the rendering, all of one length and beginning alike), or null where the text
 * holds the markers' beginning without a marker (the file's own text: no template).
 */
export function splitTemplate(text: string, markers: readonly string[]): Template | null {
  // the markers' common beginning: where a marker may start
  const first = markers[0] as string;
  let common = first.length;
  for (const m of markers) while (!m.startsWith(first.slice(0, common))) common--;
  const lead = first.slice(0, common);
  const width = first.length;
  const parts: string[] = [];
  const slots: number[] = [];
  let pos = 0;
  for (;;) {
    const at = text.indexOf(lead, pos);
    if (at === -1) break;
    const slot = markers.findIndex((p) => text.startsWith(p, at));
    if (slot === -1) return null;
    parts.push(text.slice(pos, at));
    slots.push(slot);
    pos = at + width;
  }
  parts.push(text.slice(pos));
  return { parts, bytes: parts.map((p) => Buffer.from(p, 'utf8')), slots, checked: false };
}

/**
 * Whether a template filled with `values` (by slot) reads as `rendered`, the class's
 * rendering for one of its recipients: checked once per class; they differ only where a
 * placeholder's form occurs in the file's own text.
 */
export function fills(t: Template, values: readonly string[], rendered: string): boolean {
  let text = t.parts[0] as string;
  for (let k = 0; k < t.slots.length; k++) text += (values[t.slots[k] as number] as string) + (t.parts[k + 1] as string);
  return text === rendered;
}

/**
 * UTF-8 output collected in one buffer and written in chunks ({@link CliIo.stdoutBytes},
 * else decoded for {@link CliIo.stdout}: a chunk ends where a route ends, never inside a
 * character). ASCII is copied a character at a time (the addresses, almost always), the rest
 * encoded by Buffer.write.
 */
export class ByteWriter {
  #buf = Buffer.allocUnsafe(2 * CHUNK_BYTES);
  #pos = 0;
  readonly #io: CliIo;

  constructor(io: CliIo) {
    this.#io = io;
  }

  get length(): number {
    return this.#pos;
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.#room(n);
    const buf = this.#buf;
    const pos = this.#pos;
    // a short piece costs less copied in a loop than by a call to set()
    if (n < 32) for (let i = 0; i < n; i++) buf[pos + i] = b[i] as number;
    else buf.set(b, pos);
    this.#pos = pos + n;
  }

  /** A template with its slots filled: recipient (0), mailbox (1), target (2), contact (3). */
  template(t: Template, recipient: string, mailbox: string, target: string, contact: string): void {
    const { bytes, slots } = t;
    this.bytes(bytes[0] as Uint8Array);
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k] as number;
      this.text(slot === 0 ? recipient : slot === 1 ? mailbox : slot === 2 ? target : contact);
      this.bytes(bytes[k + 1] as Uint8Array);
    }
  }

  text(s: string): void {
    const n = s.length;
    // at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2)
    this.#room(3 * n);
    const buf = this.#buf;
    const pos = this.#pos;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      buf[pos + i] = c;
    }
    this.#pos = i === n ? pos + n : pos + buf.write(s, pos, 'utf8');
  }

  flush(): void {
    if (this.#pos === 0) return;
    const chunk = this.#buf.subarray(0, this.#pos);
    this.#pos = 0;
    if (!this.#io.stdoutBytes) this.#io.stdout(chunk.toString('utf8'));
    // the same buffer again once the stream is done with it: a new one per chunk made the
    // external memory of 60 MB of output start garbage collections of its own (--trace-gc)
    else if (!this.#io.stdoutBytes(chunk)) this.#buf = Buffer.allocUnsafe(this.#buf.length);
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.#buf.length, this.#pos + n));
    this.#buf.copy(bigger, 0, 0, this.#pos);
    this.#buf = bigger;
  }
}
