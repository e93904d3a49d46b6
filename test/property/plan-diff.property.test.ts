import { createTwoFilesPatch } from 'diff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/compile/plan-files.js';

/*
 * plan's artifact diff leaves out the lines both texts begin with (issue 19: the diff
 * library splits 6 MB maps into lines whole). It must be exactly the library's diff of the
 * whole texts: the same hunks, the same line numbers, the same "\ No newline" markers.
 * Texts from a few lines, so that runs of repeated lines (where an alignment could differ)
 * are common; line feeds, CRLF, a missing final line feed and empty texts included.
 */

const whole = (before: string, after: string): string => createTwoFilesPatch('a/f', 'b/f', before, after, '', '', { context: 3 }).replace(/^=+\n/, '');

const line = fc.constantFrom('a', 'b', 'c', '', 'user@example.com OK', 'a\r', 'Grüße');
const lines = fc.array(line, { maxLength: 40 });
const text = fc.tuple(lines, fc.boolean()).map(([ls, end]) => (ls.length === 0 ? '' : ls.join('\n') + (end ? '\n' : '')));
/** `before` and an edit of it: lines inserted, removed or replaced at random places. */
const pair = fc
  .tuple(text, fc.array(fc.tuple(fc.nat(60), fc.constantFrom('insert', 'remove', 'replace'), line), { maxLength: 6 }), fc.boolean())
  .map(([before, edits, end]) => {
    const ls = before === '' ? [] : before.replace(/\n$/, '').split('\n');
    for (const [at, kind, l] of edits) {
      const i = ls.length === 0 ? 0 : at % (ls.length + (kind === 'insert' ? 1 : 0));
      if (kind === 'insert') ls.splice(i, 0, l);
      else if (ls.length > 0 && kind === 'remove') ls.splice(i, 1);
      else if (ls.length > 0) ls[i] = l;
    }
    return [before, ls.length === 0 ? '' : ls.join('\n') + (end ? '\n' : '')] as const;
  });

describe('plan: the artifact diff without the common beginning', () => {
  it('is the library diff of the whole texts, for edits of a text', () => {
    fc.assert(
      fc.property(pair, ([before, after]) => {
        expect(unifiedDiff('a/f', 'b/f', before, after)).toBe(whole(before, after));
      }),
      { numRuns: 3000 },
    );
  });

  it('is the library diff of the whole texts, for unrelated texts and empty ones', () => {
    fc.assert(
      fc.property(text, text, (before, after) => {
        expect(unifiedDiff('a/f', 'b/f', before, after)).toBe(whole(before, after));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves out a long common beginning, with line numbers as the whole diff has them', () => {
    const head = Array.from({ length: 10_000 }, (_, i) => `user${i}@example.com OK`).join('\n');
    const before = `${head}\nold@example.com OK\ntail@example.com OK\n`;
    const after = `${head}\nnew@example.com OK\ntail@example.com OK\n`;
    const d = unifiedDiff('a/f', 'b/f', before, after);
    expect(d).toBe(whole(before, after));
    expect(d).toContain('@@ -9998,5 +9998,5 @@');
  });
});
