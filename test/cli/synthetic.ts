import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { SourceStore } from '../../src/diagnostics/source-store.js';
import type { FormatContext, FormatEntry } from '../../src/cli/formats/format.js';
import { VERSION } from '../../src/cli/version.js';

/** Synthetic findings for the formatter tests (the CLI tests use real fixtures). */
export const ctx: FormatContext = { color: false, toolVersion: VERSION, cwd: '/work' };

export function diag(over: Partial<Diagnostic> = {}): Diagnostic {
  return {
    ruleId: 'schema',
    severity: 'error',
    message: 'unknown key "x"',
    file: 'chainmail.yaml',
    line: 3,
    column: 5,
    endLine: 3,
    endColumn: 9,
    related: [],
    ...over,
  };
}

export function entry(diagnostics: Diagnostic[], file = 'chainmail.yaml'): FormatEntry {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return { result: { file, diagnostics, errors, warnings: diagnostics.length - errors }, sources: new SourceStore() };
}

/** Findings with everything a formatter has to carry: related locations, a fix, nasty text. */
export const nasty: Diagnostic[] = [
  diag({
    ruleId: 'duplicate-address',
    message: 'address "a|b`c`@example.com" is listed twice: 100% <sure> & "quoted", with: colons\r\nand a second line',
    file: 'dir/sub dir/we,ird:name.yaml',
    related: [{ message: 'first as a mailbox of "unix"', file: 'mailboxes.txt', line: 1, column: 1, endLine: 1, endColumn: 18 }],
    fix: { description: 'remove the second entry', yaml: 'mailboxes:\n  - a@example.com\n' },
  }),
  diag({ severity: 'warning', ruleId: 'unused-domain', message: 'control \u0000\u0001\u001b[31m chars and a lone \ud800 surrogate', line: 2, endLine: 4, endColumn: 1 }),
  diag({ ruleId: 'not-registered-yet', file: '/abs/path/x.yaml', line: 1, column: 1, endLine: 1, endColumn: 1 }),
];
