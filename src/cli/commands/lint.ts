import { lint, type LintResult } from '../../analyze/lint.js';
import { loadModel } from '../../pipeline.js';
import { ALLOW_PATH_HELP, ALLOW_PATH_OPTION, loadOptions } from '../allow-path.js';
import { intOption, parse, type Command } from '../command.js';
import { formats, isFormatId } from '../formats/index.js';
import type { FormatEntry } from '../formats/format.js';
import { UsageError, useColor, type CliIo } from '../io.js';
import { VERSION } from '../version.js';
import { reportOptions, writeReports } from '../lint-reports.js';
import { SYNOPSES } from './synopses.js';

export const lintCommand: Command = {
  synopsis: SYNOPSES.lint,
  help: `usage: chainmail lint FILE... [options]

Checks each chainmail file: YAML syntax, the JSON Schema, and every rule (docs/rules/).

options:
  --format F          text (default), json, sarif, github, gitlab, markdown, junit
  --max-warnings N    exit 1 when there are more than N warnings
  --quiet             report errors only
  --report F:FILE     also write the report in format F to FILE (repeatable), from the
                      same run: e.g. --format github --report sarif:chainmail.sarif
${ALLOW_PATH_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      format: { type: 'string', default: 'text' },
      'max-warnings': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      report: { type: 'string', multiple: true },
      ...ALLOW_PATH_OPTION,
    });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('name at least one FILE to lint');
    const format = values.format ?? 'text';
    if (!isFormatId(format)) throw new UsageError(`unknown --format ${JSON.stringify(format)}; use one of ${Object.keys(formats).join(', ')}`);
    const maxWarnings = intOption('max-warnings', values['max-warnings']);
    const reports = reportOptions(values.report ?? [], positionals, io.cwd);
    const { entries, fatal, read } = lintFiles(positionals, io, values['allow-path']);
    const shown = values.quiet ? entries.map((e) => ({ ...e, result: onlyErrors(e.result) })) : entries;
    const errors = entries.reduce((n, e) => n + e.result.errors, 0);
    const warnings = entries.reduce((n, e) => n + e.result.warnings, 0);
    // when no file could be read there is no report: a "no problems" line would be a lie
    if (shown.length > 0 || !fatal) {
      const hiddenWarnings = values.quiet && warnings > 0 ? warnings : undefined;
      io.stdout(formats[format](shown, { color: format === 'text' && useColor(io), toolVersion: VERSION, cwd: io.cwd, ...(hiddenWarnings !== undefined ? { hiddenWarnings } : {}) }));
      if (!writeReports(reports, shown, read, io, 'lint', hiddenWarnings)) return 2;
    }
    if (fatal) return 2;
    if (errors > 0) return 1;
    if (maxWarnings !== undefined && warnings > maxWarnings) {
      io.stderr(`chainmail lint: ${warnings} warning${warnings === 1 ? '' : 's'}, more than --max-warnings ${maxWarnings}\n`);
      return 1;
    }
    return 0;
  },
};

/** Lints files; unreadable ones are reported on stderr (one line each) and make `fatal` true. */
export function lintFiles(files: readonly string[], io: CliIo, allowPaths?: readonly string[]): { entries: FormatEntry[]; fatal: boolean; read: Set<string> } {
  const entries: FormatEntry[] = [];
  // every file a linted file read (includes, mailbox files): never replaced by a --report
  const read = new Set<string>();
  let fatal = false;
  for (const file of files) {
    const loaded = loadModel(file, loadOptions(io, { 'allow-path': allowPaths }));
    for (const f of loaded.read) read.add(f.path);
    const result = lint(loaded);
    if (result.fatal) {
      io.stderr(`chainmail: ${result.fatal}\n`);
      fatal = true;
      continue;
    }
    entries.push({ result, sources: loaded.sources });
  }
  return { entries, fatal, read };
}

function onlyErrors(r: LintResult): LintResult {
  const diagnostics = r.diagnostics.filter((d) => d.severity === 'error');
  return { ...r, diagnostics, warnings: 0 };
}
