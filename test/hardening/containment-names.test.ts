import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeSpan } from '../../src/cli/formats/markdown.js';
import { builtCli, cli, LINT_FORMATS, org, sandbox, write, type Sandbox } from '../support/contained-cli.js';

/**
 * File names are input too (issue 12): an include named "x\n::error ...::" printed a
 * workflow command line in the text output that the GitHub Action shows in its log; a
 * file in the artifact directory with backticks broke out of plan's code span. Every
 * displayed path is escaped in every format: control characters as \uXXXX, code spans
 * longer than any backtick run, HTML text in a summary.
 */

const built = builtCli();
const boxes: Sandbox[] = [];
afterAll(() => {
  for (const b of boxes) rmSync(b.top, { recursive: true, force: true });
});

const EVIL_INCLUDE = 'inc\n::error file=x,line=1::pwned\n\u001b[2J\u2028.yaml';

describe.skipIf(!built)('hostile file names', () => {
  it('an include named with a newline and a workflow command starts no line in any format', () => {
    const box = sandbox('containment-names');
    boxes.push(box);
    // the included file has a schema error, so its name is shown in every report
    writeFileSync(join(box.repo, EVIL_INCLUDE), 'systems:\n  extra: { kind: nope, host: x.example }\n');
    write(box.repo, { 'chainmail.yaml': org({ top: `include: [${JSON.stringify(EVIL_INCLUDE)}]\n` }) });
    const batch = cli(box, LINT_FORMATS.map((f) => ['lint', 'chainmail.yaml', '--format', f]));
    expect(batch.error).toBeUndefined();
    for (const r of batch.runs) {
      const format = r.argv[3];
      expect(r.code, format).toBe(1);
      const lines = r.stdout.split('\n');
      // the only workflow commands are github's own annotations, one per finding
      expect(lines.filter((l) => l.startsWith('::')).length, format).toBe(format === 'github' ? lines.filter((l) => /^::(error|warning) file=/.test(l)).length : 0);
      for (const c of ['\u001b', '\u2028', '\r']) expect(r.stdout.includes(c), `${format} holds ${JSON.stringify(c)}`).toBe(false);
    }
    const text = batch.runs.find((r) => r.argv[3] === 'text')?.stdout ?? '';
    expect(text).toContain('inc\\u000a::error file=x,line=1::pwned\\u000a\\u001b[2J\\u2028.yaml:2:');
  });

  it('a file in the artifact directory with backticks, brackets and HTML stays inside plan\'s code span', () => {
    const box = sandbox('containment-plan-names');
    boxes.push(box);
    write(box.repo, { 'chainmail.yaml': org() });
    expect(cli(box, [['build', 'chainmail.yaml', '--out', 'out']]).runs[0]?.code).toBe(0);
    const name = '``` ## x [a](javascript:alert(1)) @someone <img src=x>`';
    mkdirSync(join(box.repo, 'out/old'));
    writeFileSync(join(box.repo, 'out/old', name), 'old\n');
    const manifest = join(box.repo, 'out/manifest.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { files: { path: string }[] };
    m.files.push({ path: `old/${name}` });
    writeFileSync(manifest, JSON.stringify(m));
    const md = cli(box, [['plan', 'chainmail.yaml', '--out', 'out', '--format', 'markdown']]).runs[0]?.stdout ?? '';
    expect(md).toContain(`- ${codeSpan(`old/${name}`)}: removed, +0 -1\n`);
    expect(md).toContain('<summary><code>old/``` ## x [a](javascript:alert(1)) @someone &lt;img src=x&gt;`</code></summary>');
    // no line of the comment starts with a heading of the attacker's
    expect(md.split('\n').filter((l) => /^#{1,6} /.test(l))).toEqual(['### chainmail plan']);
  });

  it('a CR in an artifact of DIR starts no line of plan\'s text output (a CI log splits at CR too)', () => {
    const box = sandbox('containment-plan-cr');
    boxes.push(box);
    write(box.repo, { 'chainmail.yaml': org() });
    expect(cli(box, [['build', 'chainmail.yaml', '--out', 'out']]).runs[0]?.code).toBe(0);
    write(box.repo, { 'out/old/map': 'a\r::error title=p::pwned\u001b[2J\n' });
    const manifest = join(box.repo, 'out/manifest.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { files: { path: string }[] };
    m.files.push({ path: 'old/map' });
    writeFileSync(manifest, JSON.stringify(m));
    const text = cli(box, [['plan', 'chainmail.yaml', '--out', 'out']]).runs[0]?.stdout ?? '';
    expect(text).toContain('-a\ufffd::error title=p::pwned\ufffd[2J\n');
    expect(text.split(/\r\n|\r|\n/).filter((l) => l.startsWith('::'))).toEqual([]);
  });
});
