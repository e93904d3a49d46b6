import { describe, expect, it } from 'vitest';
import { fixture, run } from './support.js';

/**
 * Goldens of the human-facing formats for a small invalid fixture. A reviewer reads a diff
 * of test/golden/ like code; accept a change with
 * `npx vitest run test/cli/golden.test.ts -u` (after the file: `-u` takes an optional value).
 */
describe('goldens of test/cli/fixtures/invalid.yaml', () => {
  it.each([
    ['text', 'lint-invalid.txt'],
    ['markdown', 'lint-invalid.md'],
    ['junit', 'lint-invalid.junit.xml'],
  ])('--format %s matches test/golden/%s', async (format, golden) => {
    // a TTY with FORCE_COLOR would colour text: goldens are the plain output
    const r = await run(['lint', '--format', format, fixture('invalid.yaml')], { env: { NO_COLOR: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    await expect(r.stdout).toMatchFileSnapshot(`../golden/${golden}`);
  });

  it('markdown of a clean file is one success line', async () => {
    const r = await run(['lint', '--format', 'markdown', 'examples/method1/chainmail.yaml']);
    expect(r.code).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot('../golden/lint-clean.md');
  });
});
