import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { lint } from '../../src/analyze/lint.js';
import { compile } from '../../src/compile/compile.js';
import { github } from '../../src/cli/formats/github.js';
import { markdown } from '../../src/cli/formats/markdown.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import type { Model } from '../../src/model/model.js';
import { loadModel } from '../../src/pipeline.js';
import { checkRunbook } from './support/oracles.js';
import { baseConfig, cleanup, loadConfig, withValues, type Cfg } from './support/org.js';
import { mdTables } from './support/parsers.js';
import { roundTrip, summary } from './support/roundtrip.js';

/**
 * Markdown under hostile values: runbook.md (every user value in a code span, `|` escaped
 * in table cells), the `--format markdown` lint report and the `--format github`
 * annotations of a pull request, and `chainmail plan --format markdown`. A value must not
 * end its code span, add or split a table cell, end a table row, or close a code fence.
 */

const tmp = mkdtempSync(join(tmpdir(), 'chainmail-hardening-md-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  cleanup();
});

export const MD_NASTY: string[] = [
  'a|b',
  '|',
  '\\|',
  'a\\\\|b',
  '`',
  '``x``',
  '` padded `',
  '```',
  '~~~',
  '<script>alert(1)</script>',
  '<!-- hidden',
  '**bold** _em_',
  '[link](http://evil.example)',
  '![img](http://evil.example/x.png)',
  '# heading',
  '- item',
  '> quote',
  '&amp; &#124;',
  '\\',
  '</details>',
  '\u2028# heading',
  ':x: @team',
];

describe('runbook.md: values through the whole pipeline', () => {
  describe.each(['policy name', 'connector name', 'chain name', 'cn', 'mailNickname', 'policy filter', 'ou'])('%s', (field) => {
    it.each(MD_NASTY)('%j stays in its code span and its cell', (value) => {
      expect(summary(roundTrip({ [field]: value }))).toBe('ok');
    });
  });

  it.each(['a|b', 'a`b'])('a quoted local part %j in the contacts table (Postfix cannot hold it)', (v) => {
    expect(summary(roundTrip({ 'proxyAddress local part': `"${v}"` }))).toBe('ok, postfix refused');
  });
});

describe('runbook.md past the schema (a model built by hand)', () => {
  it.each(['a\nb', 'a\r\n| x | y |', '\n\n# heading\n', 'row\r'])('%j stays in one table row', (v) => {
    const c: Cfg = baseConfig();
    const loaded = loadConfig(c);
    const base = loaded.model as Model;
    const model: Model = {
      ...base,
      policies: base.policies.map((p, i) => (i === 1 ? { ...p, name: v } : p)),
      chains: base.chains.map((ch) => ({ ...ch, name: v })),
      contacts: base.contacts.map((ct, i) => (i === 0 ? { ...ct, mailNickname: v } : ct)),
    };
    const files = compile(model, { targets: ['exchange', 'ldif'] });
    c.policies[1].name = v;
    c.chains[0].name = v;
    c.contacts[0].mailNickname = v;
    expect(() => checkRunbook(c, files)).not.toThrow();
  });
});

/** Lints a configuration written as YAML into its own directory. */
function lintConfig(c: Cfg): ReturnType<typeof lint> & { sources: ReturnType<typeof loadModel>['sources'] } {
  const dir = mkdtempSync(join(tmp, 'lint-'));
  writeFileSync(join(dir, 'chainmail.yaml'), stringify(c, { lineWidth: 0 }));
  const loaded = loadModel(join(dir, 'chainmail.yaml'), { cwd: dir });
  return { ...lint(loaded), sources: loaded.sources };
}

/** Reverses escapeMarkdown: `\X` is X, `<br>` a line break, `\uXXXX` a control character. */
function unescapeMd(s: string): string {
  return s.replace(/\\u([0-9a-f]{4})|\\(.)|<br>/gs, (_m, hex: string | undefined, c: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : c ?? '\n'));
}

describe('pull-request reports: lint --format markdown and --format github', () => {
  /** A file whose findings quote `v`: an unknown system, an invalid domain, a formula in a contact. */
  function hostile(v: string): Cfg {
    const c = withValues({ cn: `=${v}` });
    c.policies[1].system = v;
    c.domains[`${v}.example`] = {};
    return c;
  }

  it.each([...MD_NASTY, 'two\nlines', 'cr\r', 'esc\u001b[2J', '%0A::error::forged'])('%j: one table row and one annotation per finding, the message intact', (v) => {
    const r = lintConfig(hostile(v));
    expect(r.diagnostics.length).toBeGreaterThanOrEqual(2);
    const ctx = { color: false, toolVersion: 'test', cwd: tmp };
    const md = markdown([{ result: r, sources: r.sources }], ctx);
    const tables = mdTables(md);
    expect(tables).toHaveLength(1);
    const rows = tables[0]?.rows ?? [];
    expect(rows).toHaveLength(r.diagnostics.length);
    r.diagnostics.forEach((d, i) => {
      const cells = rows[i] ?? [];
      expect(cells).toHaveLength(4);
      const notes = d.related.map((x) => `\nnote: ${x.message} at ${x.file}:${x.line}:${x.column}`).join('');
      expect(unescapeMd(cells[3] ?? '')).toBe(`${d.message}${notes}`);
    });
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);

    const gh = github([{ result: r, sources: r.sources }], ctx).replace(/\n$/, '').split('\n');
    expect(gh).toHaveLength(r.diagnostics.length);
    gh.forEach((line, i) => {
      const m = /^::(error|warning) [^:\n]*::(.*)$/s.exec(line);
      expect(m, line).not.toBeNull();
      const d = r.diagnostics[i];
      const notes = (d?.related ?? []).map((x) => `\nnote: ${x.message} at ${x.file}:${x.line}:${x.column}`).join('');
      const decoded = (m?.[2] ?? '').replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
      expect(decoded).toBe(`${d?.message}${notes}`);
    });
  });
});

describe('chainmail plan --format markdown', () => {
  async function plan(c: Cfg): Promise<string> {
    const dir = mkdtempSync(join(tmp, 'plan-'));
    writeFileSync(join(dir, 'chainmail.yaml'), stringify(c, { lineWidth: 0 }));
    mkdirSync(join(dir, 'out'));
    let stdout = '';
    const io: CliIo = { stdout: (t) => (stdout += t), stderr: () => {}, cwd: dir, env: {}, isTTY: false };
    const code = await main(['plan', 'chainmail.yaml', '--out', 'out', '--format', 'markdown'], io);
    expect(code).toBe(0);
    return stdout;
  }

  it.each(['```', '````', '``` \n', '</details><script>x</script>', '~~~', '<details>'])('a value %j in the diffs never closes a fence or a details block', async (v) => {
    const c = withValues({ cn: v.trim() || 'x', 'policy name': v.trim() || 'x', sn: v.trim() || 'x' });
    const md = await plan(c);
    const lines = md.split('\n');
    const blocks = lines.filter((l) => l.startsWith('<details>')).length;
    expect(blocks).toBe(lines.filter((l) => /^- `[^`]+`: added/.test(l)).length);
    for (let i = 0; i < lines.length; i++) {
      const open = /^(`{3,})diff$/.exec(lines[i] ?? '');
      if (!open) continue;
      const fence = open[1] ?? '```';
      // the first line that would close this fence (CommonMark 4.5: up to 3 spaces, at least as many backticks)
      const close = lines.findIndex((l, k) => k > i && new RegExp(`^ {0,3}\`{${fence.length},}\\s*$`).test(l));
      expect(lines[close + 1], `fence opened at line ${i + 1}`).toBe('');
      expect(lines[close + 2]).toBe('</details>');
      expect(lines.slice(i + 1, close).some((l) => /^<\/?details>/.test(l))).toBe(false);
    }
  });
});
