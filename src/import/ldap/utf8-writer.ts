/**
 * Text appended as UTF-8 to one growing Buffer. A snapshot of 100,000 recipients is some
 * 300,000 lines: held as strings in an array until a join, every one of them survived the
 * young generation and was copied by the scavenger; here they are gathered into a string of
 * a few kilobytes at a time (one Buffer write per line costs more than the line), so a line
 * is garbage almost at once, and the bytes live outside the JavaScript heap, ready for
 * writeFileSync without another copy (bench/README.md "Directory import").
 */
export class Utf8Writer {
  private buf: Buffer;
  private length = 0;
  private pending = '';

  /** `expected`: about how many bytes will be written (growing a large buffer copies it, on fresh pages). */
  constructor(expected = 0) {
    this.buf = Buffer.allocUnsafe(Math.max(65_536, expected));
  }

  /** `s` and a line feed. */
  line(s: string): void {
    this.pending += `${s}\n`;
    if (this.pending.length >= 16_384) this.flush();
  }

  text(s: string): void {
    this.pending += s;
    if (this.pending.length >= 16_384) this.flush();
  }

  /** The bytes written so far (a view: valid until the next write). */
  bytes(): Buffer {
    this.flush();
    return this.buf.subarray(0, this.length);
  }

  private flush(): void {
    const s = this.pending;
    this.pending = '';
    // a UTF-16 code unit is at most 3 UTF-8 bytes
    if (this.length + s.length * 3 > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + s.length * 3));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.length += this.buf.write(s, this.length, 'utf8');
  }
}
