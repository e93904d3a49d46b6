import { resolve } from 'node:path';
import { ArtifactError } from '../../compile/emit.js';
import { planChanges, type FileChange } from '../../compile/plan-files.js';
import { shownPath } from '../../diagnostics/shown-path.js';
import { parse, type Command } from '../command.js';
import { codeSpan, htmlText } from '../formats/markdown.js';
import { UsageError, useColor } from '../io.js';
import { reportOptions } from '../lint-reports.js';
import { BUILD_OPTIONS, prepareBuild, warnIgnored, writeLintReports } from '../prepare-build.js';
import { planRoutes, type PlannedRoutes } from './plan-base.js';
import { routeDiffJson, routeDiffMarkdown, routeDiffText } from './plan-routes.js';
import { SYNOPSES } from './synopses.js';

const PLAN_FORMATS = ['json', 'markdown', 'text'] as const;
type PlanFormat = (typeof PLAN_FORMATS)[number];

export const planCommand: Command = {
  synopsis: SYNOPSES.plan,
  help: `usage: chainmail plan FILE --out DIR [options]
       chainmail plan FILE --base FILE|REF[:PATH] [--out DIR] [options]

Shows what "chainmail build FILE --out DIR" would change in DIR, without writing: a unified
diff of each changed file (the generated header lines left out) and one summary line per
file, so a pull request shows what its change does to the deployed maps. manifest.json,
chainmail's own bookkeeping, is not shown.

With --base, plan also compares the routes of two versions of the file (docs/plan.md):
every known recipient of either version and one unknown recipient per domain, from the
internet and from every system, and lists each address whose route changes (a new or
removed recipient, another delivering system, delivered -> bounced, a new loop, another
next hop). --out is then optional.

options:
  --base B               the old version: a file, REF:PATH read from git (e.g.
                         origin/main:mail.yaml; PATH from the repository's top, or ./PATH
                         from here), or a bare REF (FILE as it is at REF). Its includes
                         and mailbox files come from the same revision
  --format F             text (default), markdown (for a pull request comment), json
  --detailed-exitcode    exit 3 when routes or artifacts change, 0 when nothing does
  --report F:FILE        with --out: also write the lint report of this run in format F to
                         FILE (repeatable), as build --report does: a pull request's check
                         that lints and plans parses FILE once
  (and the options of build: --target, --postfix-dir, --map-type, --with-ous, --postfix-for,
  --allow-path)

Exit codes: 0 no changes (or changes without --detailed-exitcode), 1 lint errors,
2 usage error or unreadable file, 3 changes (with --detailed-exitcode).
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      ...BUILD_OPTIONS,
      format: { type: 'string', default: 'text' },
      'detailed-exitcode': { type: 'boolean', default: false },
      base: { type: 'string' },
      report: { type: 'string', multiple: true },
    });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    const format = values.format ?? 'text';
    if (!(PLAN_FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown --format ${JSON.stringify(format)}; use one of ${PLAN_FORMATS.join(', ')}`);
    if (values.report !== undefined) {
      if (values.out === undefined) throw new UsageError('--report needs --out DIR: plan lints FILE only when it builds it (or run chainmail lint --report)');
      // checked before the route diff's seconds, as build checks it before loading
      reportOptions(values.report, positionals.slice(0, 1), io.cwd, resolve(io.cwd, values.out));
    }
    const routes = values.base !== undefined ? planRoutes(positionals, values.base, io, values['allow-path']) : undefined;
    if (typeof routes === 'number') {
      // no route diff (a version that cannot be read or routed), so no build: FILE's lint
      // report is written all the same, as the build's lint would have written it
      if (values.report !== undefined && routes === 1 && !writeLintReports(positionals, values, io, 'plan')) return 2;
      return routes;
    }
    let artifacts: ReturnType<typeof planChanges> | undefined;
    if (routes === undefined || values.out !== undefined) {
      // FILE as the route diff loaded it (read once: issue 19); without --base, loaded here
      const prepared = prepareBuild(positionals, values, io, 'plan', undefined, routes?.head);
      if (typeof prepared === 'number') return prepared;
      try {
        artifacts = planChanges(prepared.out, prepared.files);
      } catch (e) {
        if (!(e instanceof ArtifactError)) throw e;
        io.stderr(`chainmail plan: ${e.message}\n`);
        return 2;
      }
      warnIgnored(io, prepared.out, artifacts.ignored);
    }
    const color = useColor(io);
    if (routes === undefined) io.stdout(render(format as PlanFormat, artifacts?.changes ?? [], artifacts?.unchanged ?? 0, color));
    else io.stdout(renderWithRoutes(format as PlanFormat, routes, artifacts, color));
    const changed = (artifacts?.changes.length ?? 0) + (routes?.diff.changes.length ?? 0);
    return values['detailed-exitcode'] && changed > 0 ? 3 : 0;
  },
};

const VERB = { add: 'added', change: 'changed', remove: 'removed' } as const;
const SIGN = { add: '+', change: '~', remove: '-' } as const;

function summaryLine(c: FileChange): string {
  if (c.headerOnly) return `${SIGN[c.action]} ${shownPath(c.path)}: header only (input sha256)`;
  return `${SIGN[c.action]} ${shownPath(c.path)}: ${VERB[c.action]}, +${c.additions} -${c.deletions}`;
}

function totals(changes: readonly FileChange[], unchanged: number): string {
  const n = (a: FileChange['action']): number => changes.filter((c) => c.action === a).length;
  if (changes.length === 0) return `No changes: ${unchanged} file${unchanged === 1 ? '' : 's'} up to date.`;
  return `Plan: ${n('add')} to add, ${n('change')} to change, ${n('remove')} to remove, ${unchanged} unchanged.`;
}

function render(format: PlanFormat, changes: readonly FileChange[], unchanged: number, color: boolean): string {
  if (format === 'json') {
    const count = (a: FileChange['action']): number => changes.filter((c) => c.action === a).length;
    return `${JSON.stringify({ version: 1, changes, summary: { add: count('add'), change: count('change'), remove: count('remove'), unchanged } }, null, 2)}\n`;
  }
  if (format === 'markdown') {
    const out = ['### chainmail plan', ''];
    for (const c of changes) out.push(`- ${codeSpan(c.path)}: ${c.headerOnly ? 'header only (input sha256)' : `${VERB[c.action]}, +${c.additions} -${c.deletions}`}`);
    if (changes.length > 0) out.push('');
    out.push(totals(changes, unchanged), '');
    for (const c of changes) {
      if (c.headerOnly) continue;
      const fence = '`'.repeat(Math.max(3, ...(c.diff.match(/`{3,}/g) ?? []).map((r) => r.length + 1)));
      out.push(`<details><summary><code>${htmlText(c.path)}</code></summary>`, '', `${fence}diff`, c.diff.replace(/\n$/, ''), fence, '', '</details>', '');
    }
    return `${out.join('\n').replace(/\n+$/, '')}\n`;
  }
  const paint = (code: string, s: string): string => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const out: string[] = [];
  for (const c of changes) {
    if (c.headerOnly) continue;
    for (const raw of c.diff.replace(/\n$/, '').split('\n')) {
      // a CR (csvde's line end, or planted) ends a line for a CI log reader: nothing from a
      // file may start a line of the output, so control characters are shown as U+FFFD
      const line = raw.replace(/\r$/, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, '\ufffd');
      if (line.startsWith('+++ ') || line.startsWith('--- ')) out.push(paint('1', line));
      else if (line.startsWith('+')) out.push(paint('32', line));
      else if (line.startsWith('-')) out.push(paint('31', line));
      else if (line.startsWith('@@')) out.push(paint('36', line));
      else out.push(line);
    }
    out.push('');
  }
  out.push(...changes.map(summaryLine), totals(changes, unchanged));
  return `${out.join('\n')}\n`;
}

/** The route diff first, then the artifact diff when --out was given. */
function renderWithRoutes(format: PlanFormat, routes: PlannedRoutes, artifacts: { changes: FileChange[]; unchanged: number } | undefined, color: boolean): string {
  const r = routes.diff;
  if (format === 'json') {
    const files = artifacts ? (JSON.parse(render('json', artifacts.changes, artifacts.unchanged, false)) as Record<string, unknown>) : {};
    return `${JSON.stringify({ version: 1, ...files, routes: routeDiffJson(r, routes.label) }, null, 2)}\n`;
  }
  if (format === 'markdown') {
    const out = ['### chainmail plan', '', routeDiffMarkdown(r, routes.label)];
    if (artifacts) out.push('#### Artifacts', '', render('markdown', artifacts.changes, artifacts.unchanged, false).replace(/^### chainmail plan\n\n/, ''));
    return `${out.join('\n').replace(/\n+$/, '')}\n`;
  }
  const text = routeDiffText(r, routes.label, color);
  return artifacts ? `${text}\n${render('text', artifacts.changes, artifacts.unchanged, color)}` : text;
}
