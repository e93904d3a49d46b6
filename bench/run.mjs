// npm run bench [-- --quick] [-- --only config|relay] [-- --sizes 10000,100000]
//
// The benchmark of bench/README.md: config scale (lint, build, route against postmap) and
// relay throughput (the embedded relay against a private Postfix and the loopback limit),
// each measured in the same run so that the ratios hold on a noisy machine. Writes
// bench/results/<timestamp>.json and prints a table. Bounded: every child process has a
// timeout, the whole run has a time budget; everything started is stopped and every temp
// dir removed, also on Ctrl-C.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { configScale, growth } from './config-scale.mjs';
import { CLI, cleanup, fmt, machine, ROOT, table } from './lib.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    sizes: { type: 'string' },
    repeats: { type: 'string' },
    'budget-minutes': { type: 'string' },
    'ldap-entries': { type: 'string' },
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`usage: npm run bench [-- options]
  --quick              smoke run: 10k recipients once, short relay loads (about 20 s)
  --only config|relay|ldap
                       run one part; ldap (import ldap against ldapsearch -E pr=1000)
                       runs only when named
  --ldap-entries N     directory entries for --only ldap (default 100000; --quick 10000)
  --sizes LIST         recipient counts (default 10000,100000,400000)
  --repeats N          repeats of each size (default: 3 up to 100k, 2 above; --quick 1)
  --budget-minutes M   the whole run's time limit (default 15; --quick 5): config scale
                       starts no new measurement after 60% of it, the relay phases are
                       cut short at the limit
  --profile DIR        write a V8 CPU profile of the relay into DIR (node --cpu-prof;
                       read it with node bench/profile-top.mjs DIR/*.cpuprofile)`);
  process.exit(0);
}
if (!existsSync(CLI)) {
  console.error(`bench: ${CLI} is missing; run "npm run bench" (it builds first) or "npm run build"`);
  process.exit(2);
}

const quick = values.quick;
const started = Date.now();
const budgetMs = Number(values['budget-minutes'] ?? (quick ? 5 : 15)) * 60_000;
// config scale starts nothing new after 60% of the budget (a typical full run needs 2-3
// minutes for it); the relay's phases are cut at the budget (a typical run: 2 minutes)
const configDeadline = started + 0.6 * budgetMs;
const deadline = started + budgetMs;
const log = (s) => console.error(s);
const sizes = (values.sizes ?? (quick ? '10000' : '10000,100000,400000')).split(',').map((s) => Number(s.replace(/_/g, '')));
const repeatsFor = (n) => Number(values.repeats ?? (quick ? 1 : n <= 100_000 ? 3 : 2));
const parts = values.only ? [values.only] : ['config', 'relay'];

const results = { version: 1, date: new Date(started).toISOString(), quick, machine: machine(), config: undefined, relay: undefined, ldap: undefined };
log(`chainmail bench${quick ? ' --quick' : ''}: ${results.machine.cpus} cpus (${results.machine.cpuModel}), node ${results.machine.node}, postfix ${results.machine.postfix}, load ${results.machine.loadAverage.join(' ')}`);

let failed = false;
let relayTable = () => '';
try {
  if (parts.includes('config')) {
    const bySize = [];
    for (const n of sizes) {
      if (Date.now() > configDeadline) {
        log(`config ${n}: skipped, the time budget is spent`);
        continue;
      }
      log(`config scale: ${n.toLocaleString('en-US')} recipients`);
      try {
        bySize.push(await configScale(n, { repeats: repeatsFor(n), log, deadline: configDeadline, hardDeadline: deadline }));
      } catch (e) {
        failed = true;
        log(`config ${n}: ${e instanceof Error ? e.message : e}`);
        bySize.push({ recipients: n, error: String(e instanceof Error ? e.message : e) });
      }
    }
    const at = (n) => bySize.find((r) => r.recipients === n && !r.error);
    results.config = { sizes: bySize, growth: growth(at(100_000), at(400_000)) };
  }
  if (parts.includes('relay')) {
    const { relayThroughput } = await import('./relay-throughput.mjs');
    relayTable = (await import('./relay-throughput.mjs')).relayTable;
    try {
      results.relay = await relayThroughput({ quick, log, deadline, ...(values.profile ? { profileDir: resolve(values.profile) } : {}) });
    } catch (e) {
      failed = true;
      log(`relay: ${e instanceof Error ? e.stack : e}`);
      results.relay = { error: String(e instanceof Error ? e.message : e) };
    }
  }
  if (parts.includes('ldap')) {
    const { ldapImport } = await import('./ldap-import.mjs');
    const n = Number(values['ldap-entries'] ?? (quick ? 10_000 : 100_000));
    log(`directory import: ${n.toLocaleString('en-US')} entries`);
    try {
      results.ldap = await ldapImport(n, { repeats: Number(values.repeats ?? (quick ? 1 : 3)), log });
    } catch (e) {
      failed = true;
      log(`ldap: ${e instanceof Error ? e.message : e}`);
      results.ldap = { error: String(e instanceof Error ? e.message : e) };
    }
  }
} finally {
  await cleanup();
}
results.seconds = Math.round((Date.now() - started) / 1000);
results.machine.loadAverageAtEnd = machine().loadAverage;

const dir = join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${results.date.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(report(results));
console.log(`\nresults: ${file.slice(ROOT.length + 1)} (${results.seconds} s)`);
process.exitCode = failed ? 1 : 0;

function report(r) {
  const out = [];
  const m = r.machine;
  out.push(`machine: ${m.cpus} cpus, ${m.cpuModel}, ${m.memoryGB} GB, node ${m.node}, postfix ${m.postfix}, load ${m.loadAverage.join(' ')} -> ${m.loadAverageAtEnd.join(' ')}`);
  if (r.config) {
    const rows = [['recipients', 'lint s', 'build s', 'lint+build s', 'postmap s', 'ratio', 'ratio CPU', 'one run s', 'ratio 1 run', 'route s', 'route/s/core', 'route1 CPU s', '--routes: route1 CPU s', '--routes: route/s/core', '--routes: 200k/s/core', 'peak RSS MB']];
    for (const s of r.config.sizes) {
      if (s.error) {
        rows.push([s.recipients.toLocaleString('en-US'), `error: ${s.error.slice(0, 60)}`]);
        continue;
      }
      rows.push([
        s.recipients.toLocaleString('en-US'),
        fmt(s.lint?.wall),
        fmt(s.build?.wall),
        fmt(s.lintBuildSeconds),
        fmt(s.postmap?.wall),
        fmt(s.lintBuildOverPostmap),
        // postmap's CPU time has 10 ms steps: a ratio over less than 0.1 s means nothing
        s.postmap?.cpu >= 0.1 ? fmt(s.lintBuildCpuOverPostmapCpu) : '-',
        fmt(s.buildReport?.wall),
        fmt(s.oneRunOverPostmap),
        fmt(s.route?.wall),
        fmt(s.routePerSecondPerCore, 0),
        fmt(s.routeOne?.cpu),
        fmt(s.routesDirOne?.cpu),
        fmt(s.routesDirPerSecondPerCore, 0),
        fmt(s.routes200kPerSecondPerCore, 0),
        fmt(s.peakRssMB, 0),
      ]);
    }
    out.push('', 'config scale (medians; ratio = (lint + build) / postmap wall time, goal <= 1.0; ratio CPU = the same in CPU seconds; one run = build --report, lint and build from one parse; route/s/core = recipients per CPU second beyond loading, for every recipient of the organisation; 200k = the same for 200,000 recipients, the measure of issue 19, goal 500,000)', table(rows));
    const g = r.config.growth;
    if (g) out.push(`growth ${g.from.toLocaleString('en-US')} -> ${g.to.toLocaleString('en-US')} (x${g.sizeFactor}; goal <= 4.4): lint x${fmt(g.lint)}, build x${fmt(g.build)}, lint+build x${fmt(g.lintBuild)} (CPU x${fmt(g.lintBuildCpu)}), one run x${fmt(g.oneRun)}, route x${fmt(g.route)}, postmap x${fmt(g.postmap)}, peak RSS x${fmt(g.peakRss)}`);
  }
  if (r.relay) out.push('', r.relay.error ? `relay throughput: error: ${r.relay.error}` : relayTable(r.relay));
  if (r.ldap) {
    const l = r.ldap;
    const rows = [['entries', 'import ldap s', 'ldapsearch s', 'ratio', 'import CPU s', 'ldapsearch CPU s', 'ratio CPU', 'slapd CPU s', 'peak RSS MB']];
    if (!l.error)
      rows.push([
        l.entries.toLocaleString('en-US'),
        fmt(l.importLdap.wall),
        fmt(l.ldapsearch.wall),
        fmt(l.ratio),
        fmt(l.importLdap.cpu),
        fmt(l.ldapsearch.cpu),
        fmt(l.ratioCpu),
        fmt(l.importLdap.slapdCpu),
        fmt(l.peakRssMB, 0),
      ]);
    out.push('', l.error ? `directory import: error: ${l.error}` : `directory import (medians; ratio = import / ldapsearch -E pr=1000 wall time, goal <= 2.0)\n${table(rows)}`);
  }
  return out.join('\n');
}
