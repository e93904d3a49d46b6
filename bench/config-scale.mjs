// Config scale (bench/README.md): lint, build and route --recipients of generated
// organisations as child processes of the built CLI, and real postmap indexing the
// generated maps as the reference, measured in the same run, interleaved.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { generate } from './generate.mjs';
import { CLI, findTool, measure, median, removeTemp, tempDir } from './lib.mjs';

/** Lines of the list routed for issue 19's marginal rate. */
const ROUTE_LIST = 200_000;

/** The maps a Postfix admin indexes after every change (STANDARD_CONFIGURATION_README). */
const INDEXED_MAPS = ['transport', 'relay_recipients'];

/**
 * Measures one organisation size `repeats` times. Each repeat runs, in this order: lint,
 * build (into an empty directory), build --report (lint and build in one run, the report
 * lint would print: what a pipeline that lints and builds runs), route --recipients (every recipient), route of one
 * address (the fixed cost of loading the file, subtracted to get the routing rate), the
 * same two with --routes over the build, --routes over 200,000 recipients (the issue's
 * measure of the marginal rate: the organisation's list repeated or cut to 200,000 lines),
 * and postmap of every postfix system's transport and relay_recipients.
 */
export async function configScale(n, { repeats, log, deadline, hardDeadline = Infinity }) {
  const dir = tempDir(`org${n}`);
  try {
    const t0 = Date.now();
    const org = generate(n, dir);
    log(`  generated ${n.toLocaleString('en-US')} recipients in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // 1 ms a recipient (400k gets 460 s before it counts as hung), never past the run's end
    const timeout = () => Math.max(10_000, Math.min(60_000 + n, hardDeadline - Date.now()));
    const node = process.execPath;
    const one = readFileSync(org.recipientsFile, 'utf8').split('\n', 1)[0];
    const samples = { lint: [], build: [], buildReport: [], route: [], routeOne: [], routesDir: [], routesDirOne: [], routes200k: [], postmap: [] };
    // issue 19's marginal: "200,000 recipients minus one recipient, in the same run"
    const list = readFileSync(org.recipientsFile, 'utf8').split('\n').filter(Boolean);
    const file200k = join(dir, 'recipients-200k.txt');
    writeFileSync(file200k, `${Array.from({ length: ROUTE_LIST }, (_, i) => list[i % list.length]).join('\n')}\n`);
    const postmap = findTool('postmap');
    for (let i = 0; i < repeats; i++) {
      if (i > 0 && Date.now() > deadline) {
        log(`  (time budget reached: ${i} of ${repeats} repeats)`);
        break;
      }
      const out = join(dir, `out-${i}`);
      const step = async (name, args) => {
        settle();
        const timeoutMs = timeout();
        const r = await measure(node, [CLI, ...args], { timeoutMs, cwd: dir });
        samples[name].push(r);
        if (r.timedOut) throw new Error(`${name} of ${n} recipients timed out after ${Math.round(timeoutMs / 1000)} s`);
        if (r.code !== 0) throw new Error(`${name} of ${n} recipients exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
        log(`  ${`${name} #${i + 1}`.padEnd(16)} ${r.wall.toFixed(2).padStart(7)} s wall ${r.cpu?.toFixed(2).padStart(7) ?? '-'} s cpu ${r.rssMB?.toFixed(0).padStart(5) ?? '-'} MB`);
        return r;
      };
      await step('lint', ['lint', org.file]);
      await step('build', ['build', org.file, '--out', out]);
      // the pull request's check in one process: the build lints and writes lint's report
      const oneRun = join(dir, `one-run-${i}`);
      await step('buildReport', ['build', org.file, '--out', oneRun, '--report', `text:${oneRun}.txt`]);
      removeTemp(oneRun);
      await step('route', ['route', org.file, '--recipients', org.recipientsFile]);
      await step('routeOne', ['route', org.file, one]);
      // the same over the build's routes.json (route --routes DIR: no YAML read)
      await step('routesDir', ['route', '--routes', out, '--recipients', org.recipientsFile]);
      await step('routesDirOne', ['route', '--routes', out, one]);
      await step('routes200k', ['route', '--routes', out, '--recipients', file200k]);
      if (postmap) {
        settle();
        const r = await indexMaps(postmap, out, timeout());
        samples.postmap.push(r);
        log(`  ${`postmap #${i + 1}`.padEnd(16)} ${r.wall.toFixed(2).padStart(7)} s wall ${r.cpu?.toFixed(2).padStart(7) ?? '-'} s cpu ${r.rssMB?.toFixed(0).padStart(5) ?? '-'} MB  (${r.entries.toLocaleString('en-US')} entries in ${r.maps.length} maps)`);
      }
      if (i === 0) samples.artifacts = artifactSizes(out);
      removeTemp(out);
    }
    return summarize(n, org, samples);
  } finally {
    removeTemp(dir);
  }
}

/**
 * Copies every postfix system's transport and relay_recipients into a fresh directory and
 * runs `postmap -c ETC hash:FILE` on each (one process per map, as an admin would): the
 * summed wall and CPU time, the largest RSS.
 */
async function indexMaps(postmap, out, timeoutMs) {
  const dir = tempDir('postmap');
  try {
    const etc = join(dir, 'etc');
    mkdirSync(etc);
    // postmap reads main.cf for its defaults (hash = default_database_type); dated an hour
    // back, because Postfix programs sleep until a just-written main.cf is in the past
    // (about 2 s, which would be counted as postmap's time)
    writeFileSync(join(etc, 'main.cf'), 'compatibility_level = 3.6\n');
    const past = new Date(Date.now() - 3600_000);
    utimesSync(join(etc, 'main.cf'), past, past);
    const maps = [];
    let entries = 0;
    for (const system of readdirSync(out)) {
      const src = join(out, system, 'postfix');
      if (!existsSync(src)) continue;
      for (const m of INDEXED_MAPS) {
        const dest = join(dir, `${system}-${m}`);
        copyFileSync(join(src, m), dest);
        entries += readFileSync(dest, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).length;
        maps.push(dest);
      }
    }
    const total = { wall: 0, cpu: 0, rssMB: 0, maps: maps.map((m) => m.slice(dir.length + 1)), entries };
    for (const m of maps) {
      const r = await measure(postmap, ['-c', etc, `hash:${m}`], { timeoutMs });
      if (r.code !== 0) throw new Error(`postmap ${m} exited ${r.code}: ${r.stderr}`);
      total.wall += r.wall;
      total.cpu = r.cpu === undefined ? undefined : (total.cpu ?? 0) + r.cpu;
      total.rssMB = r.rssMB === undefined ? undefined : Math.max(total.rssMB ?? 0, r.rssMB);
    }
    return total;
  } finally {
    removeTemp(dir);
  }
}

/**
 * Writes dirty pages to disk before a measurement: otherwise the first fsync of the next
 * step (postmap's, build's) pays for flushing what the step before it wrote (ext4 commits
 * the journal with all dirty data of ordered mode).
 */
function settle() {
  spawnSync('sync');
}

/** Lines and bytes of the biggest artifacts (the postfix maps of each postfix system). */
function artifactSizes(out) {
  const sizes = {};
  for (const system of readdirSync(out)) {
    const src = join(out, system, 'postfix');
    if (!existsSync(src)) continue;
    for (const m of readdirSync(src)) {
      const text = readFileSync(join(src, m), 'utf8');
      sizes[`${system}/postfix/${m}`] = { bytes: Buffer.byteLength(text), entries: text.split('\n').filter((l) => l && !l.startsWith('#')).length };
    }
  }
  return sizes;
}

function summarize(n, org, s) {
  const med = (runs, key) => median(runs.map((r) => r[key]));
  const stat = (runs) => (runs.length === 0 ? undefined : { wall: med(runs, 'wall'), cpu: med(runs, 'cpu'), rssMB: Math.max(...runs.map((r) => r.rssMB ?? 0)) || undefined, runs: runs.length });
  const lint = stat(s.lint);
  const build = stat(s.build);
  const buildReport = stat(s.buildReport);
  const route = stat(s.route);
  const routeOne = stat(s.routeOne);
  const routesDir = stat(s.routesDir);
  const routesDirOne = stat(s.routesDirOne);
  const routes200k = stat(s.routes200k);
  const postmap = stat(s.postmap);
  const lintBuild = lint && build ? lint.wall + build.wall : undefined;
  const lintBuildCpu = lint?.cpu !== undefined && build?.cpu !== undefined ? lint.cpu + build.cpu : undefined;
  // the routing rate per core: recipients per CPU second of routing alone (route of every
  // recipient minus route of one, i.e. without loading the file), and end to end. The two
  // run back to back in each repeat: the median of those paired differences, not the
  // difference of two medians (which scattered by a factor of two between runs)
  const routeCpu = pairedDifference(s.route, s.routeOne);
  const routesDirCpu = pairedDifference(s.routesDir, s.routesDirOne);
  const routes200kCpu = pairedDifference(s.routes200k, s.routesDirOne);
  return {
    recipients: org.recipients,
    mailboxes: org.mailboxes,
    contacts: org.contacts,
    lint,
    build,
    route,
    routeOne,
    routesDir,
    routesDirOne,
    routes200k,
    postmap: postmap ? { ...postmap, entries: s.postmap[0].entries, maps: s.postmap[0].maps } : undefined,
    lintBuildSeconds: lintBuild,
    lintBuildOverPostmap: lintBuild !== undefined && postmap ? lintBuild / postmap.wall : undefined,
    // the same in CPU seconds (steadier on a busy machine; postmap's wall time is mostly fsync)
    lintBuildCpuSeconds: lintBuildCpu,
    lintBuildCpuOverPostmapCpu: lintBuildCpu !== undefined && postmap?.cpu ? lintBuildCpu / postmap.cpu : undefined,
    // lint and build in one run (build --report): the same ratios for the one process
    buildReport,
    oneRunOverPostmap: buildReport && postmap ? buildReport.wall / postmap.wall : undefined,
    oneRunCpuOverPostmapCpu: buildReport?.cpu !== undefined && postmap?.cpu ? buildReport.cpu / postmap.cpu : undefined,
    routePerSecondPerCore: routeCpu !== undefined && routeCpu > 0 ? org.recipients / routeCpu : undefined,
    routeEndToEndPerSecondPerCore: route?.cpu ? org.recipients / route.cpu : undefined,
    // route --routes DIR: the same rate, and the end-to-end one, without reading the YAML
    routesDirPerSecondPerCore: routesDirCpu !== undefined && routesDirCpu > 0 ? org.recipients / routesDirCpu : undefined,
    routesDirEndToEndPerSecondPerCore: routesDir?.cpu ? org.recipients / routesDir.cpu : undefined,
    // the issue's own measure: 200,000 recipients minus one, with --routes
    routes200kPerSecondPerCore: routes200kCpu !== undefined && routes200kCpu > 0 ? ROUTE_LIST / routes200kCpu : undefined,
    peakRssMB: Math.max(lint?.rssMB ?? 0, build?.rssMB ?? 0, buildReport?.rssMB ?? 0, route?.rssMB ?? 0, routesDir?.rssMB ?? 0) || undefined,
    artifacts: s.artifacts,
    samples: Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'artifacts').map(([k, v]) => [k, v.map(({ stderr, ...r }) => r)])),
  };
}

/** The median over repeats of a.cpu - b.cpu, each pair measured in the same repeat. */
function pairedDifference(a, b) {
  const d = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i].cpu !== undefined && b[i].cpu !== undefined) d.push(a[i].cpu - b[i].cpu);
  return d.length > 0 ? median(d) : undefined;
}

/** How each figure grows from `a` to `b` recipients (time ratio; 4.0 is linear for 100k -> 400k). */
export function growth(a, b) {
  if (!a || !b) return undefined;
  const f = (x, y) => (x !== undefined && y !== undefined && x > 0 ? y / x : undefined);
  return {
    from: a.recipients,
    to: b.recipients,
    sizeFactor: b.recipients / a.recipients,
    lint: f(a.lint?.wall, b.lint?.wall),
    build: f(a.build?.wall, b.build?.wall),
    lintBuild: f(a.lintBuildSeconds, b.lintBuildSeconds),
    lintBuildCpu: f(a.lintBuildCpuSeconds, b.lintBuildCpuSeconds),
    oneRun: f(a.buildReport?.wall, b.buildReport?.wall),
    route: f(a.route?.wall, b.route?.wall),
    postmap: f(a.postmap?.wall, b.postmap?.wall),
    peakRss: f(a.peakRssMB, b.peakRssMB),
  };
}
