import { describe, expect, it } from 'vitest';
import { docUrl } from '../../src/analyze/rule.js';
import { escapeData, escapeProperty, github } from '../../src/cli/formats/github.js';
import { formats } from '../../src/cli/formats/index.js';
import { junit, xmlAttr, xmlText } from '../../src/cli/formats/junit.js';
import { escapeMarkdown, markdown } from '../../src/cli/formats/markdown.js';
import { lineCounterFor } from '../../src/diagnostics/source-store.js';
import { fixture, run, type JsonReport } from './support.js';
import { ctx, diag, entry, nasty } from './synthetic.js';
import { cpuClock } from '../support/cpu-clock.js';

describe('github', () => {
  // https://docs.github.com/actions/reference/workflow-commands-for-github-actions: one command
  // per line; property values never contain a raw "," or ":", data never a raw CR or LF, and
  // every "%" starts one of the escapes
  const COMMAND =
    /^::(error|warning) file=[^,:\r\n]*,line=[1-9]\d*(?:,col=[1-9]\d*)?,endLine=[1-9]\d*(?:,endColumn=[1-9]\d*)?,title=[^,:\r\n]+::[^\r\n]*$/;
  const ESCAPES = /%(?!25|0D|0A|3A|2C)/;

  it.each([
    ['the invalid fixture', [fixture('invalid.yaml')]],
    ['several files', [fixture('invalid.yaml'), fixture('tab-indent.yaml'), fixture('warnings.yaml')]],
  ])('every line of %s is a workflow command', async (_name, files) => {
    const r = await run(['lint', '--format', 'github', ...files]);
    const lines = r.stdout.replace(/\n$/, '').split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      expect(line).toMatch(COMMAND);
      expect(line).not.toMatch(ESCAPES);
    }
  });

  it('every line of nasty findings is a workflow command', () => {
    const out = github([entry(nasty)], ctx);
    expect(out.endsWith('\n')).toBe(true);
    const lines = out.slice(0, -1).split('\n');
    expect(lines).toHaveLength(nasty.length);
    for (const line of lines) expect(line).toMatch(COMMAND);
  });

  it('prints the exact command, escaped, with related locations as note lines', () => {
    const [first, second] = github([entry(nasty)], ctx).split('\n');
    expect(first).toBe(
      '::error file=dir/sub dir/we%2Cird%3Aname.yaml,line=3,col=5,endLine=3,endColumn=9,title=duplicate-address::' +
        'address "a|b`c`@example.com" is listed twice: 100%25 <sure> & "quoted", with: colons%0D%0Aand a second line' +
        '%0Anote: first as a mailbox of "unix" at mailboxes.txt:1:1',
    );
    // columns are left out of a span over several lines (@actions/core AnnotationProperties)
    expect(second).toMatch(/^::warning file=chainmail\.yaml,line=2,endLine=4,title=unused-domain::/);
  });

  it('prints nothing when there are no findings', () => {
    expect(github([entry([])], ctx)).toBe('');
  });

  it.each([
    ['plain', 'plain', 'plain'],
    ['100%', '100%25', '100%25'],
    ['%0A is not a newline', '%250A is not a newline', '%250A is not a newline'],
    ['a\nb', 'a%0Ab', 'a%0Ab'],
    ['a\r\nb', 'a%0D%0Ab', 'a%0D%0Ab'],
    ['key: value', 'key: value', 'key%3A value'],
    ['a,b', 'a,b', 'a%2Cb'],
    ['::error::x', '::error::x', '%3A%3Aerror%3A%3Ax'],
    ['C:\\dir,x\n', 'C:\\dir,x%0A', 'C%3A\\dir%2Cx%0A'],
    ['日本語 ✓', '日本語 ✓', '日本語 ✓'],
  ])('escapes %j as data %j and as a property %j', (input, data, property) => {
    expect(escapeData(input)).toBe(data);
    expect(escapeProperty(input)).toBe(property);
    // the runner's unescaping gives the input back
    const unescape = (s: string): string =>
      s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
    expect(unescape(data)).toBe(input);
    expect(unescape(property)).toBe(input);
  });
});

describe('json', () => {
  const REQUIRED = ['ruleId', 'severity', 'message', 'file', 'line', 'column', 'endLine', 'endColumn'];
  // spec section 6 lists "fix"?; "related" is the one documented addition (text's "note:" lines)
  const OPTIONAL = ['fix', 'related'];

  it('has exactly the shape of spec section 6', async () => {
    const r = await run(['lint', '--format', 'json', fixture('invalid.yaml'), fixture('warnings.yaml')]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(Object.keys(report)).toEqual(['version', 'diagnostics', 'summary']);
    expect(report.version).toBe(1);
    expect(Object.keys(report.summary)).toEqual(['errors', 'warnings']);
    expect(report.diagnostics.length).toBeGreaterThan(3);
    for (const d of report.diagnostics) {
      expect(Object.keys(d).slice(0, REQUIRED.length)).toEqual(REQUIRED);
      expect(Object.keys(d).slice(REQUIRED.length).every((k) => OPTIONAL.includes(k))).toBe(true);
      expect(typeof d.ruleId).toBe('string');
      expect(['error', 'warning']).toContain(d.severity);
      expect(typeof d.message).toBe('string');
      expect(d.file).toMatch(/^test\/cli\/fixtures\/[a-z-]+\.yaml$/);
      for (const n of [d.line, d.column, d.endLine, d.endColumn]) expect(Number.isInteger(n) && n >= 1).toBe(true);
      expect(d.endLine > d.line || (d.endLine === d.line && d.endColumn >= d.column)).toBe(true);
    }
    expect(report.summary).toEqual({
      errors: report.diagnostics.filter((d) => d.severity === 'error').length,
      warnings: report.diagnostics.filter((d) => d.severity === 'warning').length,
    });
  });

  it('carries fix and related locations when a finding has them', () => {
    const report = JSON.parse(formats.json([entry(nasty)], ctx)) as JsonReport;
    expect(report.diagnostics[0]).toMatchObject({ fix: nasty[0]!.fix, related: nasty[0]!.related });
    expect(Object.keys(report.diagnostics[1]!)).toEqual(REQUIRED);
  });
});

describe('markdown', () => {
  it.each([
    ['a|b', 'a\\|b'],
    ['`code`', '\\`code\\`'],
    ['*bold* _it_ ~~s~~', '\\*bold\\* \\_it\\_ \\~\\~s\\~\\~'],
    ['[link](x) ![img](y)', '\\[link\\](x) \\!\\[img\\](y)'],
    ['<script>&amp;', '\\<script\\>\\&amp;'],
    ['back\\slash #1', 'back\\\\slash \\#1'],
    ['two\nlines\r\nthree', 'two<br>lines<br>three'],
    ['\u001b[31mred\u001b[0m', '\\u001b\\[31mred\\u001b\\[0m'],
    ['"example.com" is fine', '"example.com" is fine'],
  ])('escapes %j as %j', (input, output) => {
    expect(escapeMarkdown(input)).toBe(output);
  });

  it('keeps every finding on one table row, with a linked rule and no ANSI', () => {
    const out = markdown([entry(nasty)], { ...ctx, color: true });
    expect(out).not.toMatch(/\u001b/);
    const rows = out.split('\n').filter((l) => l.startsWith('| '));
    expect(rows).toHaveLength(2 + nasty.length);
    expect(rows[2]).toContain(`| [duplicate-address](${docUrl('duplicate-address')}) |`);
    // a row has exactly 5 unescaped pipes: the message's own pipe is escaped
    for (const row of rows) expect(row.match(/(?<!\\)\|/g)).toHaveLength(5);
  });

  it('says so in one line when there are no findings', () => {
    expect(markdown([entry([]), entry([], 'b.yaml')], ctx)).toBe(':white_check_mark: **chainmail lint**: 2 files checked, no problems\n');
  });
});

describe('junit', () => {
  it.each([
    ['a < b & c > d', 'a &lt; b &amp; c &gt; d', 'a &lt; b &amp; c &gt; d'],
    ['"quoted" \'single\'', '"quoted" \'single\'', '&quot;quoted&quot; &apos;single&apos;'],
    [']]>', ']]&gt;', ']]&gt;'],
    ['tab\tnew\nline\r', 'tab\tnew\nline&#13;', 'tab&#9;new&#10;line&#13;'],
    ['nul\u0000 bell\u0007 esc\u001b', 'nul\\u0000 bell\\u0007 esc\\u001b', 'nul\\u0000 bell\\u0007 esc\\u001b'],
    ['\ufffe\uffff', '\\ufffe\\uffff', '\\ufffe\\uffff'],
    ['lone \ud800 and \udc00', 'lone \\ud800 and \\udc00', 'lone \\ud800 and \\udc00'],
    ['pair 😀 ok', 'pair 😀 ok', 'pair 😀 ok'],
  ])('escapes %j as text %j and as an attribute %j', (input, text, attr) => {
    expect(xmlText(input)).toBe(text);
    expect(xmlAttr(input)).toBe(attr);
  });

  it('writes a suite per file, a testcase per rule with failures, and a passing case for a clean file', () => {
    const out = junit([entry(nasty), entry([], 'clean.yaml')], ctx);
    expect(out.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    // nothing XML 1.0 forbids survives (section 2.2 Char)
    expect(out).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
    expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    // every "&" starts an entity or character reference, no raw "<" inside attribute values
    expect(out).not.toMatch(/&(?!(?:amp|lt|gt|quot|apos|#\d+);)/);
    expect(out).not.toMatch(/="[^"]*</);
    const suites = [...out.matchAll(/<testsuite name="([^"]*)" tests="(\d+)" failures="(\d+)"/g)].map((m) => [m[1], m[2], m[3]]);
    expect(suites).toEqual([
      ['chainmail.yaml', '1', '1'],
      ['dir/sub dir/we,ird:name.yaml', '1', '1'],
      ['/abs/path/x.yaml', '1', '1'],
      ['clean.yaml', '1', '0'],
    ]);
    expect(out).toContain('<testcase classname="clean.yaml" name="chainmail lint"/>');
    expect(out).toContain('<testsuites name="chainmail lint" tests="4" failures="3" errors="0">');
  });
});

describe('text at scale', () => {
  it('frames 50,000 findings in one 50,000-line file in linear time (the file is split once, not once per finding)', () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `  - { cn: c${i}, mailNickname: c${i}, targetAddress: c${i + 1}@xo.one, proxyAddresses: [c${i}@xo.one] }`);
    const e = entry(lines.map((_, i) => diag({ line: i + 1, column: 5, endLine: i + 1, endColumn: 9 })));
    e.sources.add({ file: 'chainmail.yaml', text: `${lines.join('\n')}\n`, lines: lineCounterFor(lines.join('\n')) });
    const cpu = cpuClock();
    const out = formats.text([e], ctx);
    const ms = cpu();
    // every finding has its own frame, with the line it points at
    expect(out.split('\n').filter((l) => l.startsWith('  > ')).length).toBe(50_000);
    expect(out).toContain('> 50000 |   - { cn: c49999,');
    // splitting the 3.6 MB text once per finding took minutes; once, well under a second
    expect(ms).toBeLessThan(20_000);
  }, 60_000);

  it('junit groups 100,000 findings of one rule in linear time (no copy of the group per finding)', () => {
    const e = entry(Array.from({ length: 100_000 }, (_, i) => diag({ ruleId: 'contact-target-loop', line: i + 1, endLine: i + 1 })));
    const cpu = cpuClock();
    const out = junit([e], ctx);
    const ms = cpu();
    expect(out.match(/<failure /g)).toHaveLength(100_000);
    expect(ms).toBeLessThan(20_000);
  }, 120_000);
});
