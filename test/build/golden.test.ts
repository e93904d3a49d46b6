import { describe, expect, it } from 'vitest';
import { artifactText, buildCase, buildCases } from './cases.js';

/**
 * Golden tests of `chainmail build` for every target: the files written for each case are
 * checked in under testdata/compile/<case>/out/ (accept changes with `npx vitest -u`; CI
 * never writes them). A UTF-16LE csvde file is stored decoded, as <path>.utf16le.txt.
 */
describe.each(buildCases)('build $id', (c) => {
  it('writes the golden artifacts', async () => {
    const r = await buildCase(c);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const names: string[] = [];
    for (const [path, bytes] of r.files) {
      const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe;
      const golden = utf16 ? `${path}.utf16le.txt` : path;
      names.push(golden);
      await expect(artifactText(bytes)).toMatchFileSnapshot(`../../testdata/compile/${c.id}/out/${golden}`);
    }
    // the list of files is a golden too: a file that is no longer written shows up here
    await expect(`${names.join('\n')}\n`).toMatchFileSnapshot(`../../testdata/compile/${c.id}/files.txt`);
  });
});
