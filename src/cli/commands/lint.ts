import { statSync, type Stats } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { lint, type LintResult } from '../../analyze/lint.js';
import { loadModel } from '../../pipeline.js';
import { ALLOW_PATH_HELP, ALLOW_PATH_OPTION, loadOptions } from '../allow-path.js';
import { intOption, parse, type Command } from '../command.js';
import { formats, isFormatId, type FormatId } from '../formats/index.js';
import type { FormatEntry } from '../formats/format.js';
import { UsageError, useColor, type CliIo } from '../io.js';
import { VERSION } from '../version.js';
import { writeAtomically } from '../write-file.js';
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
    const { entries, fatal } = lintFiles(positionals, io, values['allow-path']);
    const shown = values.quiet ? entries.map((e) => ({ ...e, result: onlyErrors(e.result) })) : entries;
    const errors = entries.reduce((n, e) => n + e.result.errors, 0);
    const warnings = entries.reduce((n, e) => n + e.result.warnings, 0);
    // when no file could be read there is no report: a "no problems" line would be a lie
    if (shown.length > 0 || !fatal) {
      const hidden = values.quiet && warnings > 0 ? { hiddenWarnings: warnings } : {};
      io.stdout(formats[format](shown, { color: format === 'text' && useColor(io), toolVersion: VERSION, cwd: io.cwd, ...hidden }));
      for (const r of reports) {
        try {
          writeAtomically(r.path, formats[r.format](shown, { color: false, toolVersion: VERSION, cwd: io.cwd, ...hidden }));
        } catch (e) {
          io.stderr(`chainmail lint: cannot write --report ${r.spec} (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the path\n`);
          return 2;
        }
      }
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

/**
 * The --report options (`FORMAT:FILE`, the path relative to the working directory), checked
 * before anything is linted: a known format, a file in an existing directory, no file
 * twice and never one of the files being linted.
 */
function reportOptions(specs: readonly string[], files: readonly string[], cwd: string): { spec: string; format: FormatId; path: string }[] {
  const inputs = new Set(files.map((f) => resolvePath(cwd, f)));
  const seen = new Set<string>();
  return specs.map((spec) => {
    const colon = spec.indexOf(':');
    const format = spec.slice(0, colon);
    const file = spec.slice(colon + 1);
    if (colon === -1 || !isFormatId(format) || file === '') {
      throw new UsageError(`--report needs FORMAT:FILE with FORMAT one of ${Object.keys(formats).join(', ')}, not ${JSON.stringify(spec)}`);
    }
    const path = resolvePath(cwd, file);
    if (inputs.has(path)) throw new UsageError(`--report ${spec} would overwrite a file being linted; name another file`);
    if (seen.has(path)) throw new UsageError(`--report names ${JSON.stringify(file)} twice; one report per file`);
    seen.add(path);
    let dir: Stats | undefined;
    try {
      dir = statSync(dirname(path));
    } catch {
      dir = undefined;
    }
    if (!dir?.isDirectory()) throw new UsageError(`--report ${spec}: ${JSON.stringify(dirname(file))} is not a directory; create it first`);
    return { spec, format, path };
  });
}

/** Lints files; unreadable ones are reported on stderr (one line each) and make `fatal` true. */
export function lintFiles(files: readonly string[], io: CliIo, allowPaths?: readonly string[]): { entries: FormatEntry[]; fatal: boolean } {
  const entries: FormatEntry[] = [];
  let fatal = false;
  for (const file of files) {
    const loaded = loadModel(file, loadOptions(io, { 'allow-path': allowPaths }));
    const result = lint(loaded);
    if (result.fatal) {
      io.stderr(`chainmail: ${result.fatal}\n`);
      fatal = true;
      continue;
    }
    entries.push({ result, sources: loaded.sources });
  }
  return { entries, fatal };
}

function onlyErrors(r: LintResult): LintResult {
  const diagnostics = r.diagnostics.filter((d) => d.severity === 'error');
  return { ...r, diagnostics, warnings: 0 };
}
