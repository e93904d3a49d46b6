/**
 * The addresses `chainmail route` routes: those named on the command line, then the lines of
 * a `--recipients` list, each made into a string only when it is routed (issue 19). A list
 * parsed whole first kept 200,000 strings alive through the routing: the young generation
 * copied them into the old one, which then grew enough for a full collection of the loaded
 * routing tables in the middle of the routing (`--trace-gc`: a 30 ms scavenge and a 40 ms
 * mark-compact on the main thread, more on the helpers). Made one at a time, a line's
 * string dies young.
 *
 * A list line: "#" starts a comment only at the start of a line or after a space ("#" is
 * legal inside a local part, RFC 5322 atext); blank lines are skipped; `<address>` is
 * accepted. From a file's bytes each line is decoded on its own (UTF-8, as the whole file
 * would be: a line feed is never part of a multi-byte sequence): a flat string, where a
 * slice of one large string is a V8 sliced string, slower to compare in every map lookup of
 * the routing tables (issue 19: ~25% of the route memo's time).
 */
export class AddressList {
  readonly #named: readonly string[];
  readonly #text: string | Buffer | undefined;
  #nextNamed = 0;
  #pos: number;
  /** Addresses given by {@link next} so far. */
  given = 0;

  /** `named`: the command line's addresses, routed first; `list`: the text or bytes of a list. */
  constructor(named: readonly string[], list?: string | Buffer) {
    this.#named = named;
    this.#text = list;
    this.#pos = list === undefined ? 0 : typeof list === 'string' ? (list.charCodeAt(0) === 0xfeff ? 1 : 0) : list[0] === 0xef && list[1] === 0xbb && list[2] === 0xbf ? 3 : 0;
  }

  /** The next address, or undefined after the last. */
  next(): string | undefined {
    if (this.#nextNamed < this.#named.length) {
      this.given++;
      return this.#named[this.#nextNamed++];
    }
    const text = this.#text;
    if (text === undefined) return undefined;
    while (this.#pos < text.length) {
      const pos = this.#pos;
      let nl: number;
      let line: string;
      if (typeof text === 'string') {
        nl = text.indexOf('\n', pos);
        if (nl === -1) nl = text.length;
        line = text.slice(pos, nl);
      } else {
        // the line's end found in JS, not by indexOf() (a call into C++ per line costs more
        // than 30 bytes looked at), noting on the way whether the line is plain: printable
        // ASCII without "#", which no trim, comment or "<...>" changes
        const n = text.length;
        let plain = true;
        nl = pos;
        for (; nl < n; nl++) {
          const c = text[nl] as number;
          if (c === 0x0a) break;
          if (c <= 0x20 || c >= 0x7f || c === 0x23) plain = false;
        }
        if (plain && nl > pos && text[pos] !== 0x3c) {
          this.#pos = nl + 1;
          this.given++;
          // ASCII: its Latin-1 decoding is its UTF-8 decoding, without a UTF-8 decoder
          return text.toString('latin1', pos, nl);
        }
        line = text.toString('utf8', pos, nl);
      }
      this.#pos = nl + 1;
      const address = listedAddress(line);
      if (address !== '') {
        this.given++;
        return address;
      }
    }
    return undefined;
  }

  /**
   * How many addresses there can be: those named plus the list's lines (comments and blank
   * lines counted too). For a progress line only: it reads the whole list once more.
   */
  bound(): number {
    const text = this.#text;
    let lines = 0;
    if (text !== undefined && text.length > 0) {
      let pos = 0;
      for (;;) {
        lines++;
        const nl = typeof text === 'string' ? text.indexOf('\n', pos) : text.indexOf(0x0a, pos);
        if (nl === -1 || nl === text.length - 1) break;
        pos = nl + 1;
      }
    }
    return this.#named.length + lines;
  }
}

/** Every address of a recipients list, in order (docs/cli.md, `--recipients`). */
export function parseRecipients(text: string | Buffer): string[] {
  const out: string[] = [];
  const list = new AddressList([], text);
  for (let a = list.next(); a !== undefined; a = list.next()) out.push(a);
  return out;
}

/** The address on one line of a list, or '' (a blank or comment line). */
function listedAddress(text: string): string {
  let line = text;
  const hash = line.includes('#') ? line.search(/(^|\s)#/) : -1;
  if (hash !== -1) line = line.slice(0, hash);
  line = line.trim();
  if (line.startsWith('<') && line.endsWith('>')) line = line.slice(1, -1).trim();
  return line;
}
