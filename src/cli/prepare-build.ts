import { dirname, relative, resolve, sep } from 'node:path';
import { lint, type LintResult } from '../analyze/lint.js';
import { compile, CompileError, isTargetId, TARGET_IDS, type CompileOptions, type TargetId } from '../compile/compile.js';
import { assertOutDir, ignoredLine, type IgnoredClaim } from '../compile/artifact-dir.js';
import { ArtifactError, emit, inputHash, type BuildInput } from '../compile/emit.js';
import type { OutputFile } from '../compile/output.js';
import { loadModel, type LoadedModel } from '../pipeline.js';
import { ALLOW_PATH_OPTION, loadOptions } from './allow-path.js';
import { text } from './formats/text.js';
import { UsageError, useColor, type CliIo } from './io.js';
import { reportOptions, writeReports, type ReportTarget } from './lint-reports.js';
import { VERSION } from './version.js';

/*
 * What `build` and `plan` share: the options and lint -> compile -> emit. One module both
 * commands import, so that neither is a library of the other.
 */

/** The options build and plan share. */
export const BUILD_OPTIONS = {
  out: { type: 'string' },
  target: { type: 'string' },
  'postfix-dir': { type: 'string' },
  'map-type': { type: 'string' },
  'with-ous': { type: 'boolean', default: false },
  'postfix-for': { type: 'string' },
  ...ALLOW_PATH_OPTION,
} as const;

interface BuildValues {
  readonly out?: string | undefined;
  readonly target?: string | undefined;
  readonly 'postfix-dir'?: string | undefined;
  readonly 'map-type'?: string | undefined;
  readonly 'with-ous'?: boolean | undefined;
  readonly 'postfix-for'?: string | undefined;
  readonly 'allow-path'?: readonly string[] | undefined;
  /** `--report FORMAT:FILE` (build, plan with --out): the lint report of the same run. */
  readonly report?: readonly string[] | undefined;
}

/**
 * Lint, compile and emit: the files `build` would write into `out`, or an exit code when
 * there is nothing to write (1: lint errors or an impossible artifact, 2: unreadable file).
 * `preloaded`: FILE already loaded with the same options (`plan --base`: the head of its route
 * diff), not read again.
 */
export function prepareBuild(positionals: readonly string[], values: BuildValues, io: CliIo, command: string, step: (what: string) => void = () => {}, preloaded?: LoadedModel): { files: OutputFile[]; out: string } | number {
  if (positionals.length !== 1) throw new UsageError('name exactly one FILE');
  if (values.out === undefined || values.out === '') throw new UsageError('--out DIR is required');
  const options = compileOptions(values);
  const file = positionals[0] ?? '';
  const out = resolve(io.cwd, values.out);
  const reports = reportOptions(values.report ?? [], [file], io.cwd, out);
  try {
    // the directory a checkout holds is data: no symbolic link on the way to it (docs/build.md)
    assertOutDir(out, resolve(io.cwd));
  } catch (e) {
    if (!(e instanceof ArtifactError)) throw e;
    io.stderr(`chainmail ${command}: ${e.message}\n`);
    return 2;
  }
  step(`loading ${file}`);
  const loaded = preloaded ?? loadModel(file, loadOptions(io, values));
  step('linting');
  const result = lint(loaded);
  if (result.fatal) {
    io.stderr(`chainmail: ${result.fatal}\n`);
    return 2;
  }
  // the lint report of this run, written whatever the build then does (as lint writes it)
  if (!writeRunReports(reports, loaded, result, io, command)) return 2;
  if (result.errors > 0 || !loaded.model) {
    const errors = { ...result, diagnostics: result.diagnostics.filter((d) => d.severity === 'error'), warnings: 0 };
    io.stderr(text([{ result: errors, sources: loaded.sources }], { color: useColor(io), toolVersion: VERSION, cwd: io.cwd }));
    io.stderr(`chainmail ${command}: ${loaded.file} has errors; nothing was written\n`);
    return 1;
  }
  if (result.warnings > 0) io.stderr(`chainmail ${command}: ${result.warnings} warning${result.warnings === 1 ? '' : 's'} (run chainmail lint ${loaded.file})\n`);
  let files: OutputFile[];
  step('compiling');
  try {
    files = compile(loaded.model, { ...options, version: VERSION });
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    for (const p of e.problems) io.stderr(`${loaded.file}: error: ${p}\n`);
    io.stderr(`chainmail ${command}: cannot compile ${loaded.file}; nothing was written\n`);
    return 1;
  }
  // the hashes of the bytes the loader read: no file is opened a second time
  const input = buildInput(resolve(io.cwd, file), loaded.read);
  return { files: emit(files, { version: VERSION, input }), out };
}

/**
 * `plan --base --out --report` when the route diff stops first (1: a version that cannot be
 * routed): FILE is loaded and linted once more for its report alone, nothing printed.
 * False after a one-line error (a report that cannot be written: exit 2).
 */
export function writeLintReports(positionals: readonly string[], values: BuildValues, io: CliIo, command: string): boolean {
  const file = positionals[0] ?? '';
  const reports = reportOptions(values.report ?? [], [file], io.cwd, values.out === undefined ? undefined : resolve(io.cwd, values.out));
  const loaded = loadModel(file, loadOptions(io, values));
  const result = lint(loaded);
  // a file that cannot be read has no report, as with lint
  return result.fatal !== undefined || writeRunReports(reports, loaded, result, io, command);
}

/** The reports of one loaded and linted file; never over a file it read. */
function writeRunReports(reports: readonly ReportTarget[], loaded: LoadedModel, result: LintResult, io: CliIo, command: string): boolean {
  return reports.length === 0 || writeReports(reports, [{ result, sources: loaded.sources }], new Set(loaded.read.map((f) => f.path)), io, command);
}

function compileOptions(values: BuildValues): CompileOptions {
  const targets = list(values.target);
  const bad = targets?.filter((t) => !isTargetId(t));
  if (bad && bad.length > 0) throw new UsageError(`unknown --target ${bad.map((t) => JSON.stringify(t)).join(', ')}; use a comma-separated subset of ${TARGET_IDS.join(', ')}`);
  const mapType = values['map-type'];
  if (mapType !== undefined && mapType !== 'hash' && mapType !== 'lmdb') throw new UsageError(`--map-type must be hash or lmdb, not ${JSON.stringify(mapType)}`);
  const dir = values['postfix-dir'];
  if (dir !== undefined && !/^\/[^\s#]*$/.test(dir)) throw new UsageError(`--postfix-dir must be an absolute path without spaces or "#", not ${JSON.stringify(dir)}`);
  const postfixFor = list(values['postfix-for']);
  return {
    ...(targets ? { targets: targets as TargetId[] } : {}),
    ...(dir !== undefined ? { postfixDir: dir.replace(/(.)\/+$/, '$1') } : {}),
    ...(mapType !== undefined ? { mapType } : {}),
    ...(values['with-ous'] ? { withOus: true } : {}),
    ...(postfixFor ? { postfixFor } : {}),
  };
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The input's identity: every file read, by path relative to the main file's directory. */
function buildInput(main: string, read: readonly { path: string; sha256: string }[]): BuildInput {
  const base = dirname(main);
  const files = read
    .map((f) => ({ path: relative(base, f.path).split(sep).join('/'), sha256: f.sha256 }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { file: relative(base, main), sha256: inputHash(files), files };
}

/** One warning line per manifest entry that was ignored (SECURITY.md: the manifest is a claim). */
export function warnIgnored(io: CliIo, out: string, ignored: readonly IgnoredClaim[]): void {
  for (const c of ignored) io.stderr(`chainmail: ${ignoredLine(shown(io, out), c)}\n`);
}

/** A path as the user would type it from the working directory. */
export function shown(io: CliIo, path: string): string {
  const rel = relative(io.cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}
