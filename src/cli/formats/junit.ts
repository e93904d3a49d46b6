import { docUrl } from '../../analyze/rule.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Formatter } from './format.js';

/**
 * `--format junit`: JUnit XML for CI test reports. One `<testsuite>` per file (each linted
 * file, plus the included and mailbox files findings point into), one `<testcase>` per rule
 * with findings in that file holding one `<failure>` per finding (type = severity, as ESLint's
 * junit formatter does), or a single passing testcase for a clean file. No timestamps or
 * durations, so the output is deterministic.
 */
export const junit: Formatter = (entries) => {
  const byFile = new Map<string, Diagnostic[]>();
  for (const e of entries) {
    if (!byFile.has(e.result.file)) byFile.set(e.result.file, []);
    for (const d of e.result.diagnostics) {
      const list = byFile.get(d.file) ?? [];
      list.push(d);
      byFile.set(d.file, list);
    }
  }
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  for (const [file, diagnostics] of byFile) {
    const byRule = new Map<string, Diagnostic[]>();
    for (const d of diagnostics) {
      const list = byRule.get(d.ruleId);
      if (list) list.push(d);
      else byRule.set(d.ruleId, [d]);
    }
    const cases: string[] = [];
    for (const [ruleId, list] of [...byRule].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      cases.push(`    <testcase classname="${xmlAttr(file)}" name="${xmlAttr(ruleId)}">`);
      for (const d of list) {
        cases.push(`      <failure message="${xmlAttr(d.message)}" type="${d.severity}">${xmlText(body(d))}</failure>`);
      }
      cases.push('    </testcase>');
    }
    if (byRule.size === 0) cases.push(`    <testcase classname="${xmlAttr(file)}" name="chainmail lint"/>`);
    const n = Math.max(1, byRule.size);
    tests += n;
    failures += byRule.size;
    suites.push(`  <testsuite name="${xmlAttr(file)}" tests="${n}" failures="${byRule.size}" errors="0" skipped="0">`, ...cases, '  </testsuite>');
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="chainmail lint" tests="${tests}" failures="${failures}" errors="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
};

function body(d: Diagnostic): string {
  const lines = [`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.ruleId}]`];
  for (const r of d.related) lines.push(`note: ${r.message} at ${r.file}:${r.line}:${r.column}`);
  if (d.fix) lines.push(`fix: ${d.fix.description}`, ...d.fix.yaml.replace(/\n$/, '').split('\n').map((l) => `  ${l}`));
  lines.push(`see ${docUrl(d.ruleId)}`);
  return lines.join('\n');
}

/**
 * Characters XML 1.0 cannot carry at all (section 2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF]
 * | [#xE000-#xFFFD] | [#x10000-#x10FFFF]), lone surrogates included: shown as `\uXXXX` text.
 */
const ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function legal(s: string): string {
  return s.replace(ILLEGAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Escapes character data: `>` too, so `]]>` can never appear, and CR as a reference, which
 * end-of-line handling (XML 1.0 section 2.11) would otherwise drop.
 */
export function xmlText(s: string): string {
  return legal(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/**
 * Escapes an attribute value (double-quoted). Tab, LF and CR become character references,
 * since attribute-value normalisation (XML 1.0 section 3.3.3) would turn them into spaces.
 */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}
