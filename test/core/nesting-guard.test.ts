import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayHoldSurrogateEscape, nestingGuardOffset, valueProblem } from '../../src/load/shape.js';

/**
 * The scan as it was first written, one-character strings and regular expressions: the
 * reference the character-code version (src/load/shape.ts) must agree with on any text.
 */
function reference(text: string, guard: number): number {
  let flow = 0;
  let block = 0;
  let prev = '\n';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\r') continue;
    if (c === '\n') {
      block = 0;
      prev = c;
      continue;
    }
    const nodeStart = prev === '\n' || flow > 0 || ':-?[{,'.includes(prev);
    if (c === '#' && /[\s]/.test(text[i - 1] ?? '\n')) {
      const nl = text.indexOf('\n', i);
      i = (nl === -1 ? text.length : nl) - 1;
      continue;
    }
    if ((c === '"' || c === "'") && nodeStart) {
      let j = i + 1;
      while (j < text.length) {
        const d = text[j];
        if (c === '"' && d === '\\') j += 2;
        else if (d === c && c === "'" && text[j + 1] === "'") j += 2;
        else if (d === c) break;
        else j++;
      }
      i = j;
      prev = c;
      continue;
    }
    const next = text[i + 1] ?? '\n';
    let indicator = false;
    if ((c === '[' || c === '{') && nodeStart) {
      flow++;
      indicator = true;
    } else if ((c === ']' || c === '}') && flow > 0) {
      flow--;
      indicator = true;
    } else if ((c === '-' || c === '?') && flow === 0 && nodeStart && /\s/.test(next)) {
      block++;
      indicator = true;
    } else if (c === ':') indicator = /\s/.test(next) || (flow > 0 && ',[]{}'.includes(next));
    else if (c === ',') indicator = flow > 0;
    if (flow + block > guard) return i;
    prev = indicator ? c : 'a';
  }
  return -1;
}

// the characters the scan reacts to, blanks beyond ASCII, and some text
const alphabet = [...' \t\r\n#"\'\\[{]}-?:,', 'a', 'b', '1', '.', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u000b', 'é', '例'];
const yamlish = fc.array(fc.constantFrom(...alphabet), { maxLength: 200 }).map((a) => a.join(''));

describe('nestingGuardOffset', () => {
  it('agrees with the reference scan on any text (fast-check)', () => {
    fc.assert(
      fc.property(yamlish, fc.integer({ min: 0, max: 6 }), (text, guard) => {
        expect(nestingGuardOffset(text, guard)).toBe(reference(text, guard));
      }),
      { numRuns: 5000 },
    );
  });

  it('finds deep flow and block nesting where the reference does', () => {
    for (const text of ['a: [[[[x]]]]', '- - - - - x', 'k: {a: {b: [c, {d: e}]}}', '"[[[[": [', "'it''s': [[[", '# [[[[[\n[[', 'x: a[[[[b', '?  - - -']) {
      for (const guard of [0, 1, 2, 3]) expect(nestingGuardOffset(text, guard), `${text} ${guard}`).toBe(reference(text, guard));
    }
  });
});

describe('valueProblem without the string checks', () => {
  it('still finds the depth, and skips strings only when told to', () => {
    const deep = { a: [{ b: [[['x']]] }] };
    expect(valueProblem(deep, 5, false)).toEqual({ kind: 'depth' });
    expect(valueProblem(deep, 6, false)).toBeUndefined();
    const lone = { key: ['ok', '\ud800'] };
    expect(valueProblem(lone, 64)).toEqual({ kind: 'surrogate', value: '\ud800' });
    expect(valueProblem(lone, 64, false)).toBeUndefined();
  });

  it('mayHoldSurrogateEscape: only a \\u or \\U escape can write a lone surrogate', () => {
    expect(mayHoldSurrogateEscape('name: "\\ud800"')).toBe(true);
    expect(mayHoldSurrogateEscape('name: "\\U0000DC00"')).toBe(true);
    expect(mayHoldSurrogateEscape('name: "\\x41 caf\u00e9"')).toBe(false);
  });
});
