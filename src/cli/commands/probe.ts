import { compileRoutingTables } from '../../routing/compile.js';
import { sortDiagnostics, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { SourceStore } from '../../diagnostics/source-store.js';
import { PROBE_RULES } from '../../probe/classify.js';
import { probeSet } from '../../probe/probe-set.js';
import { probeFindings, summarize, type SystemSummary } from '../../probe/report.js';
import { runProbes, type SystemTarget } from '../../probe/run.js';
import { didYouMean } from '../../validate/did-you-mean.js';
import { ALLOW_PATH_HELP, ALLOW_PATH_OPTION } from '../allow-path.js';
import { intOption, parse, type Command } from '../command.js';
import { formats } from '../formats/index.js';
import { UsageError, type CliIo } from '../io.js';
import { VERSION } from '../version.js';
import { loadRoutable } from '../routable.js';
import { resolverAddress } from '../resolver-option.js';
import { SYNOPSES } from './synopses.js';

const FORMATS = ['github', 'json', 'junit', 'markdown', 'sarif', 'text'] as const;
type ProbeFormat = (typeof FORMATS)[number];
/**
 * Recipients per transaction: far below the 100 every server must take (RFC 5321 section
 * 4.5.3.1.8), and at most 20 refusals per connection, Postfix's smtpd_hard_error_limit, after
 * which it drops the client. A server with a lower limit answers 452 4.5.3 and the rest go in
 * another transaction (src/probe/transaction.ts).
 */
const PER_TRANSACTION = 20;

export const probeCommand: Command = {
  synopsis: SYNOPSES.probe,
  help: `usage: chainmail probe FILE [options]

Checks the live mail systems against the file: for each system, tries recipients of every
class at RCPT (EHLO, MAIL FROM:<>, RCPT TO, RSET, QUIT; never DATA or BDAT: nothing is
delivered) and compares each reply with what the routing engine predicts. docs/probe.md.

options:
  --system NAME          probe only this system (repeatable; default: every system)
  --host NAME=HOST:PORT  connect to HOST:PORT for system NAME (a staging copy, a test)
  --resolver HOST:PORT   the DNS server for the MX and A lookups of system hosts that are
                         names, e.g. 127.0.0.1:53 (default: the system's resolver)
  --recipients R         sample (default: ${3} per class and domain) or all
  --concurrency N        simultaneous connections (default 2)
  --rate N               RCPT commands per second over the run (default 10; 0: unpaced)
  --timeout S            seconds for the connection and every reply (default 30)
  --starttls M           auto (default: when offered), never, require
  --helo NAME            EHLO name (default chainmail-probe.invalid)
  --sender ADDRESS       the normal sender for a system that refuses MAIL FROM:<> (then
                         its batches are tried again with it) or that the file marks
                         nullSender: refuse (default chainmail-probe@ the --helo name)
  --format F             text (default), json, markdown, sarif, github, junit
${ALLOW_PATH_HELP}
Exit codes: 0 no drift (temporary replies are counted, not drift), 1 drift, 2 a system
that cannot be reached, a usage error or a file that cannot be read.
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      system: { type: 'string', multiple: true },
      host: { type: 'string', multiple: true },
      resolver: { type: 'string' },
      recipients: { type: 'string', default: 'sample' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      timeout: { type: 'string' },
      starttls: { type: 'string', default: 'auto' },
      helo: { type: 'string', default: 'chainmail-probe.invalid' },
      sender: { type: 'string' },
      format: { type: 'string', default: 'text' },
      ...ALLOW_PATH_OPTION,
    });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    const [file, ...extra] = positionals;
    if (file === undefined) throw new UsageError('name the chainmail FILE whose systems to probe');
    if (extra.length > 0) throw new UsageError(`probe takes one FILE; unexpected ${JSON.stringify(extra[0])}`);
    const format = values.format ?? 'text';
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown --format ${JSON.stringify(format)}; use one of ${FORMATS.join(', ')}`);
    const recipients = values.recipients ?? 'sample';
    if (recipients !== 'sample' && recipients !== 'all') throw new UsageError(`--recipients is sample or all, not ${JSON.stringify(recipients)}`);
    const starttls = values.starttls ?? 'auto';
    if (starttls !== 'auto' && starttls !== 'never' && starttls !== 'require') throw new UsageError(`--starttls is auto, never or require, not ${JSON.stringify(starttls)}`);
    const helo = values.helo ?? '';
    if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f.:]+\]$/.test(helo)) throw new UsageError(`--helo needs a domain name or an address literal, not ${JSON.stringify(helo)}`);
    const sender = values.sender ?? `chainmail-probe@${helo}`;
    // one mailbox, nothing that could end the command or open a second one
    if (!/^[^\s<>@]+@(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f.:]+\])$/.test(sender)) throw new UsageError(`--sender needs local@domain, not ${JSON.stringify(sender)}`);
    const resolver = values.resolver === undefined ? undefined : resolverAddress(values.resolver);
    const concurrency = intOption('concurrency', values.concurrency) ?? 2;
    const rate = intOption('rate', values.rate) ?? 10;
    const timeout = intOption('timeout', values.timeout) ?? 30;
    if (concurrency < 1) throw new UsageError('--concurrency needs at least 1');
    if (timeout < 1) throw new UsageError('--timeout needs at least 1 second');

    const loaded = loadRoutable(file, io, 'probe', values['allow-path']);
    if (typeof loaded === 'number') return loaded;
    const tables = compileRoutingTables(loaded.model);
    const names = [...tables.keys()].sort();
    const known = (n: string, opt: string): void => {
      if (tables.has(n)) return;
      const guess = didYouMean(n, names);
      throw new UsageError(`${opt}: no system ${JSON.stringify(n)} in ${file}${guess ? `; did you mean ${JSON.stringify(guess)}?` : `; systems: ${names.join(', ')}`}`);
    };
    const hosts = new Map<string, { host: string; port: number }>();
    for (const h of values.host ?? []) {
      const m = /^([^=]+)=\[?([^\]]+?)\]?:(\d{1,5})$/.exec(h);
      if (!m?.[1] || !m[2] || !m[3] || Number(m[3]) > 65535) throw new UsageError(`--host needs NAME=HOST:PORT, not ${JSON.stringify(h)}`);
      known(m[1], '--host');
      hosts.set(m[1], { host: m[2], port: Number(m[3]) });
    }
    const chosen = values.system && values.system.length > 0 ? values.system : names;
    for (const s of chosen) known(s, '--system');
    const targets: SystemTarget[] = [...new Set(chosen)].map((name) => {
      const table = tables.get(name);
      if (!table) throw new UsageError(`no system ${name}`);
      const over = hosts.get(name);
      const decl = loaded.model.systems.get(name);
      const at = { path: decl?.path ?? ['systems', name], key: true };
      return { table, host: over?.host ?? table.host, port: over?.port ?? table.port, mx: over ? false : table.mx, probes: probeSet(loaded.model, table, recipients), refusesNullSender: decl?.nullSender === 'refuse', at };
    });

    const reports = await runProbes(targets, { concurrency, rate, timeout: timeout * 1000, helo, starttls, perTransaction: PER_TRANSACTION, sender, ...(resolver !== undefined ? { resolver } : {}) });
    const summaries = reports.map(summarize);
    const findings = probeFindings(reports);
    const diagnostics = sortDiagnostics(findings.map((f) => loaded.locator.locate(f, f.severity)));
    for (const s of summaries) if (s.unreachable) io.stderr(`chainmail probe: system "${s.system}" at ${s.address}: ${s.unreachable}\n`);
    io.stdout(render(format as ProbeFormat, summaries, diagnostics, loaded, io));
    if (summaries.some((s) => s.unreachable)) return 2;
    return summaries.some((s) => s.drift > 0) ? 1 : 0;
  },
};

function render(format: ProbeFormat, summaries: readonly SystemSummary[], diagnostics: readonly Diagnostic[], loaded: { readonly file: string; readonly sources: SourceStore }, io: CliIo): string {
  if (format === 'json') return `${JSON.stringify({ version: 1, systems: summaries, differences: diagnostics.map(jsonDifference), summary: totals(summaries) }, null, 2)}\n`;
  if (format === 'text') return text(summaries, diagnostics);
  if (format === 'markdown') return markdown(summaries, diagnostics);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const entry = { result: { file: loaded.file, diagnostics, errors, warnings: diagnostics.length - errors }, sources: loaded.sources };
  return formats[format]([entry], { color: false, toolVersion: VERSION, cwd: io.cwd, rules: PROBE_RULES });
}

function jsonDifference(d: Diagnostic): Record<string, unknown> {
  return { ruleId: d.ruleId, severity: d.severity, message: d.message, file: d.file, line: d.line, column: d.column, ...d.data };
}

function totals(s: readonly SystemSummary[]): { probes: number; drift: number; inconclusive: number; unreachable: number } {
  return { probes: s.reduce((n, x) => n + x.probes, 0), drift: s.reduce((n, x) => n + x.drift, 0), inconclusive: s.reduce((n, x) => n + x.inconclusive, 0), unreachable: s.filter((x) => x.unreachable).length };
}

/** The address, after how a host name led to it: "corp.test MX 10 mx1.corp.test -> 127.0.0.1:25". */
function where(s: SystemSummary): string {
  return s.via !== undefined ? `${s.via} -> ${s.address}` : s.address;
}

function line(s: SystemSummary): string {
  if (s.unreachable) return `${s.system} (${s.address}): unreachable: ${s.unreachable}`;
  return `${s.system} (${where(s)}${s.tls ? ', TLS' : ''}): ${s.probes} probes, ${s.ok} as the file says, ${s.drift} drift, ${s.inconclusive} inconclusive`;
}

function text(summaries: readonly SystemSummary[], diagnostics: readonly Diagnostic[]): string {
  const out = summaries.map(line);
  if (diagnostics.length > 0) out.push('');
  for (const d of diagnostics) out.push(`${d.file}:${d.line}:${d.column}: ${d.severity === 'error' ? 'drift' : 'note'}: ${d.message} [${d.ruleId}]`);
  const t = totals(summaries);
  out.push('', `${t.drift === 0 ? 'no drift' : `${t.drift} difference${t.drift === 1 ? '' : 's'}`} (${t.probes} probes, ${t.inconclusive} inconclusive${t.unreachable ? `, ${t.unreachable} unreachable` : ''})`);
  return `${out.join('\n')}\n`;
}

function markdown(summaries: readonly SystemSummary[], diagnostics: readonly Diagnostic[]): string {
  const cell = (s: string): string => s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
  const out = ['| System | Address | Probes | As the file says | Drift | Inconclusive |', '| --- | --- | --- | --- | --- | --- |'];
  for (const s of summaries) out.push(`| ${cell(s.system)} | ${cell(where(s))} | ${s.unreachable ? `unreachable: ${cell(s.unreachable)}` : s.probes} | ${s.ok} | ${s.drift} | ${s.inconclusive} |`);
  if (diagnostics.length > 0) {
    out.push('', '| Difference | Location | Address | Expected | Got |', '| --- | --- | --- | --- | --- |');
    for (const d of diagnostics) out.push(`| ${cell(d.ruleId)} | ${cell(`${d.file}:${d.line}`)} | ${cell(d.data?.['address'] ?? '')} | ${cell(d.data?.['expected'] ?? '')} | ${cell(d.data?.['observed'] ?? '')} |`);
  }
  const t = totals(summaries);
  out.push('', `${t.drift > 0 || t.unreachable > 0 ? ':x:' : ':white_check_mark:'} **chainmail probe**: ${t.drift} drift, ${t.inconclusive} inconclusive, ${t.probes} probes`);
  return `${out.join('\n')}\n`;
}
