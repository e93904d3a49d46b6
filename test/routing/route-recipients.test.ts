import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressList, parseRecipients } from '../../src/cli/commands/route-recipients.js';

/** docs/cli.md's `--recipients` rules, applied to the whole text at once (the oracle). */
function reference(text: string): string[] {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const out: string[] = [];
  for (const raw of body.split('\n')) {
    let line = raw.replace(/(^|\s)#.*$/s, '').trim();
    if (line.startsWith('<') && line.endsWith('>')) line = line.slice(1, -1).trim();
    if (line !== '') out.push(line);
  }
  return out;
}

function all(list: AddressList): string[] {
  const out: string[] = [];
  for (let a = list.next(); a !== undefined; a = list.next()) out.push(a);
  return out;
}

describe('AddressList (route --recipients)', () => {
  it('gives the addresses docs/cli.md describes, from bytes and from text', () => {
    // printable ASCII (the plain lines), the characters the rules look at, whitespace that
    // trim() removes (tab, CR, NBSP, U+2028, U+FEFF), UTF-8 and invalid bytes
    const piece = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('a', 'b.c', 'x@example.com', 'Z@Ex.AMPLE', '-', '%', '!') },
      { weight: 3, arbitrary: fc.constantFrom('#', '<', '>', ' ', '\t', '\r', '\n', '\n', '\u00a0', '\u2028', '\ufeff', '\u007f', '\u00e9', '\u4f8b') },
      { weight: 1, arbitrary: fc.constantFrom('\xef\xbb\xbf', '\xc3', '\xa9', '\xff', '\x00') },
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.boolean(), (pieces, latin) => {
        // latin: some pieces as raw bytes (invalid UTF-8), else all as UTF-8
        const buf = latin ? Buffer.concat(pieces.map((p) => (/^[\x80-\xff]+$/.test(p) ? Buffer.from(p, 'latin1') : Buffer.from(p, 'utf8')))) : Buffer.from(pieces.join(''), 'utf8');
        const expected = reference(buf.toString('utf8'));
        expect(all(new AddressList([], buf))).toEqual(expected);
        expect(all(new AddressList([], buf.toString('utf8')))).toEqual(expected);
        expect(parseRecipients(buf)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the named addresses first, then the list, and counts them', () => {
    const list = new AddressList(['a@x.example', 'b@x.example'], Buffer.from('# list\nc@x.example\n\n<d@x.example>\n'));
    expect(list.given).toBe(0);
    expect(all(list)).toEqual(['a@x.example', 'b@x.example', 'c@x.example', 'd@x.example']);
    expect(list.given).toBe(4);
    expect(list.next()).toBeUndefined();
    expect(list.given).toBe(4);
    const none = new AddressList([], '# nothing\n\n');
    expect(none.next()).toBeUndefined();
    expect(none.given).toBe(0);
  });

  it('decodes a line only when it is asked for (a list of 200,000 is never held as strings)', () => {
    const buf = Buffer.from('first@x.example\nsecond@x.example\n');
    const list = new AddressList([], buf);
    expect(list.next()).toBe('first@x.example');
    // the rest of the bytes changed after the first address: the next one is read from them now
    buf.write('SECOND', 'first@x.example\n'.length, 'latin1');
    expect(list.next()).toBe('SECOND@x.example');
  });

  it('bounds the count for a progress line: the named addresses and every line', () => {
    expect(new AddressList(['a@x'], Buffer.from('b@x\n# c\n\nd@x')).bound()).toBe(5);
    expect(new AddressList([], 'b@x\nd@x\n').bound()).toBe(2);
    expect(new AddressList([], '').bound()).toBe(0);
    expect(new AddressList(['a@x', 'b@x']).bound()).toBe(2);
    expect(new AddressList([], Buffer.from('\n')).bound()).toBe(1);
  });
});
