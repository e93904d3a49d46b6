import { statSync, type Stats } from 'node:fs';
import { dirname, resolve as resolvePath, sep } from 'node:path';
import { formats, isFormatId, type FormatId } from './formats/index.js';
import type { FormatEntry } from './formats/format.js';
import { UsageError, type CliIo } from './io.js';
import { VERSION } from './version.js';
import { writeAtomically } from './write-file.js';

/** One `--report FORMAT:FILE`: the option as written, the format and the absolute path. */
export interface ReportTarget {
  readonly spec: string;
  readonly format: FormatId;
  readonly path: string;
}

/**
 * The --report options of `lint` and `build` (`FORMAT:FILE`, the path relative to the
 * working directory), checked before anything is read: a known format, a file in an
 * existing directory, no file twice, never one of the files named to be linted, and never
 * inside `out` (build's output directory holds exactly what the build writes).
 */
export function reportOptions(specs: readonly string[], files: readonly string[], cwd: string, out?: string): ReportTarget[] {
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
    if (out !== undefined && (path === out || path.startsWith(out + sep))) {
      throw new UsageError(`--report ${spec} is inside the output directory, which holds only what build writes; name a file outside it`);
    }
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

/**
 * Writes every report of one run, each byte for byte what `lint --format FORMAT` prints
 * for the same entries (no colour), each atomically (src/cli/write-file.ts). A report that
 * would replace a file the run read (an include, a mailbox file: known only once loaded)
 * or that cannot be written ends it: one line on stderr, false (exit 2); reports written
 * before it stay.
 */
export function writeReports(reports: readonly ReportTarget[], entries: readonly FormatEntry[], read: ReadonlySet<string>, io: CliIo, command: string, hiddenWarnings?: number): boolean {
  const clash = reports.find((r) => read.has(r.path));
  if (clash) {
    io.stderr(`chainmail ${command}: --report ${clash.spec} would overwrite a file the linted file reads; name another file\n`);
    return false;
  }
  for (const r of reports) {
    try {
      writeAtomically(r.path, formats[r.format](entries, { color: false, toolVersion: VERSION, cwd: io.cwd, ...(hiddenWarnings !== undefined ? { hiddenWarnings } : {}) }));
    } catch (e) {
      io.stderr(`chainmail ${command}: cannot write --report ${r.spec} (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the path\n`);
      return false;
    }
  }
  return true;
}
