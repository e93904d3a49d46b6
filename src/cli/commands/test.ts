import { compileRoutingTables } from '../../routing/compile.js';
import type { RouteTestDecl } from '../../model/model.js';
import { checkExpectation } from '../../routing/expect.js';
import { Simulator, type Outcome } from '../../route/simulate.js';
import { didYouMean } from '../../validate/did-you-mean.js';
import { ALLOW_PATH_HELP, ALLOW_PATH_OPTION } from '../allow-path.js';
import { parse, type Command } from '../command.js';
import { UsageError, useColor, type CliIo } from '../io.js';
import { loadRoutable } from '../routable.js';
import { SYNOPSES } from './synopses.js';

/** One expectation's result, as `--format json` prints it. */
export interface TestResultJson {
  readonly file: string;
  /** 1-based line of the test in its file. */
  readonly line: number;
  readonly to: string;
  readonly from: string;
  /** The expectation as written: `{ "bounced": "unix", "status": "5.1.1" }`. */
  readonly expect: Record<string, string | true>;
  readonly passed: boolean;
  /** null when the test could not be routed (an unknown `from` system). */
  readonly outcome: Outcome | null;
  readonly message: string;
}

const FORMATS = ['text', 'json'] as const;

export const testCommand: Command = {
  synopsis: SYNOPSES.test,
  help: `usage: chainmail test FILE... [options]

Runs the route assertions under "tests:" of each file through the routing simulation
(the same engine as chainmail route and the relay) and reports each one.

options:
  --format F   text (default; PASS/FAIL, or check marks on a terminal) or json
${ALLOW_PATH_HELP}
Exit codes: 0 every test passed, 1 a test failed or a file has errors that prevent
routing, 2 usage error or a file that cannot be read.
`,
  async run(args, io) {
    const { values, positionals } = parse(args, { format: { type: 'string', default: 'text' }, ...ALLOW_PATH_OPTION });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('name at least one FILE whose tests to run');
    const format = values.format ?? 'text';
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown --format ${JSON.stringify(format)}; use text or json`);
    const results: TestResultJson[] = [];
    const perFile: { file: string; results: TestResultJson[] }[] = [];
    let exit = 0;
    for (const file of positionals) {
      const loaded = loadRoutable(file, io, 'test', values['allow-path']);
      if (typeof loaded === 'number') {
        exit = Math.max(exit, loaded);
        continue;
      }
      const simulator = new Simulator(compileRoutingTables(loaded.model));
      const systems = [...loaded.model.systems.keys()];
      const mine: TestResultJson[] = [];
      for (const t of loaded.model.tests) {
        const line = loaded.locator.lines(loaded.locator.span({ path: t.path })).line;
        const base = { file, line, to: t.to, from: t.from, expect: expectation(t) };
        if (t.from !== 'internet' && !loaded.model.systems.has(t.from)) {
          const guess = didYouMean(t.from, systems);
          mine.push({ ...base, passed: false, outcome: null, message: `${t.to}: unknown system ${JSON.stringify(t.from)} in from${guess ? `; did you mean ${JSON.stringify(guess)}?` : ''}` });
          continue;
        }
        const r = checkExpectation(t, simulator.route(t.to, t.from));
        mine.push({ ...base, passed: r.passed, outcome: r.route.outcome, message: r.message });
      }
      results.push(...mine);
      perFile.push({ file, results: mine });
    }
    const passed = results.filter((r) => r.passed).length;
    const failed = results.length - passed;
    if (format === 'json') io.stdout(`${JSON.stringify({ version: 1, results, summary: { passed, failed } }, null, 2)}\n`);
    else io.stdout(textReport(perFile, io));
    if (exit !== 0) return exit;
    return failed > 0 ? 1 : 0;
  },
};

/** The expectation in the file's own shape. */
function expectation(t: RouteTestDecl): Record<string, string | true> {
  return { [t.expect.kind]: t.expect.target, ...(t.expect.status !== undefined ? { status: t.expect.status } : {}) };
}

/**
 * Text: the file, one line per test, failures with their location, and a summary. Check
 * marks and colour only on a terminal; PASS/FAIL words otherwise, so logs grep well.
 */
function textReport(perFile: readonly { file: string; results: readonly TestResultJson[] }[], io: CliIo): string {
  const color = useColor(io);
  const fancy = io.isTTY;
  const paint = (code: string, s: string): string => (color ? `${code}${s}\u001b[0m` : s);
  const out: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const { file, results } of perFile) {
    out.push(file);
    if (results.length === 0) out.push('  (no tests)');
    for (const r of results) {
      if (r.passed) passed++;
      else failed++;
      const mark = r.passed ? paint('\u001b[32m', fancy ? '\u2713' : 'PASS') : paint('\u001b[31m', fancy ? '\u2717' : 'FAIL');
      out.push(`  ${mark} ${r.message}`);
      if (!r.passed) out.push(`       at ${r.file}:${r.line}`);
    }
  }
  const files = perFile.length;
  out.push('', `${passed} passed, ${failed} failed (${files} file${files === 1 ? '' : 's'})`);
  return `${out.join('\n')}\n`;
}
