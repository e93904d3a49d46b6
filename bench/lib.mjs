// Shared helpers of the benchmark: measuring child processes (wall time, CPU time, peak
// RSS), the machine description, temp dirs that are always removed, and tables.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'dist', 'cli', 'bin.js');

/** The absolute path of a program (Debian keeps the Postfix tools in /usr/sbin), or undefined. */
export function findTool(name) {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** GNU time(1) ("apt-get install time"): gives a child's peak RSS and CPU time. */
const GNU_TIME = (() => {
  const p = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  if (!p) return undefined;
  const r = spawnSync(p, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+\s*$/.test(r.stderr) ? p : undefined;
})();
export const HAS_GNU_TIME = GNU_TIME !== undefined;

// ---------------------------------------------------------------------------------------
// Temp dirs and child processes: everything the run creates is removed, even on Ctrl-C.
const tempDirs = new Set();
const children = new Set();

export function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), `chainmail-bench-${prefix}-`));
  tempDirs.add(d);
  return d;
}

export function removeTemp(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * Kills a detached child's whole process group (it is its own group), so that no
 * grandchild survives; falls back to the child alone when the group is gone.
 */
export function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Registers a child process to be killed by cleanup(). */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const cleanups = [];
/** Registers an async cleanup step (stopping a Postfix instance, ...), run once by cleanup(). */
export function onCleanup(fn) {
  cleanups.push(fn);
}

let cleaning;
export function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error(`cleanup: ${e instanceof Error ? e.message : e}`);
      }
    }
    for (const c of children) killGroup(c);
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    tempDirs.clear();
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    console.error(`\n${sig}: cleaning up`);
    void cleanup().then(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------

/**
 * Runs a program to completion and measures it: wall seconds, user and system CPU seconds
 * and peak RSS (MB) from GNU time(1) when it is installed; otherwise wall time only (and,
 * for `node` programs, the figures the wrapper bench/measure-node.mjs reports itself).
 * stdout goes to `stdout` (a path, default /dev/null); stderr is kept for error messages.
 * A run over `timeoutMs` is killed (its process group) and reported as a timeout.
 */
export function measure(cmd, args, { timeoutMs = 300_000, stdout = '/dev/null', cwd = ROOT, env } = {}) {
  return new Promise((resolve) => {
    const dir = tempDir('m');
    const report = join(dir, 'time');
    let argv;
    if (GNU_TIME) argv = [GNU_TIME, '-o', report, '-f', '%e %U %S %M', cmd, ...args];
    else if (cmd === process.execPath && args[0] === CLI) argv = [process.execPath, join(ROOT, 'bench', 'measure-node.mjs'), report, ...args.slice(1)];
    else argv = [cmd, ...args];
    const out = openSync(stdout, 'w');
    const start = process.hrtime.bigint();
    const child = track(spawn(argv[0], argv.slice(1), { cwd, env: env ?? process.env, stdio: ['ignore', out, 'pipe'], detached: true }));
    closeSync(out);
    let stderr = '';
    child.stderr.on('data', (b) => {
      if (stderr.length < 20_000) stderr += b;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      const r = { wall, code: code ?? -1, timedOut, stderr: stderr.trim() };
      try {
        const t = readFileSync(report, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
        // GNU time's elapsed time is the child's alone (ours adds spawning time(1) itself), but
        // it has 10 ms steps: keep ours for runs that short
        if (t.length === 4 && t.every(Number.isFinite)) Object.assign(r, { wall: t[0] >= 0.5 ? t[0] : wall, user: t[1], sys: t[2], cpu: t[1] + t[2], rssMB: t[3] / 1024 });
      } catch {
        // no report: wall time only
      }
      removeTemp(dir);
      resolve(r);
    });
  });
}

/**
 * Runs a program (its own process group, tracked for cleanup) with stdout discarded; over
 * `timeoutMs` its whole group is killed. Resolves with the exit code, the last 4,000
 * characters of stderr and whether it timed out.
 */
export function runBounded(cmd, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = track(spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true }));
    let stderr = '';
    child.stderr.on('data', (b) => (stderr = (stderr + b).slice(-4000)));
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stderr, timedOut });
    });
  });
}

/** A TCP port free on 127.0.0.1 right now (the kernel's choice for port 0). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Median of numbers (undefined for none). */
export function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The machine the figures were measured on. */
export function machine() {
  const cpu = cpus()[0]?.model ?? readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown';
  let postfix = 'not installed';
  const postconf = findTool('postconf');
  if (postconf) {
    const d = mkdtempSync(join(tmpdir(), 'chainmail-bench-pc-'));
    try {
      // postconf wants a config directory with a main.cf; the defaults (-d) are what we ask
      spawnSync('touch', [join(d, 'main.cf')]);
      const r = spawnSync(postconf, ['-c', d, '-d', 'mail_version'], { encoding: 'utf8' });
      postfix = r.stdout.match(/=\s*(\S+)/)?.[1] ?? postfix;
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }
  return {
    cpus: availableParallelism(),
    cpuModel: cpu.trim(),
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postfix,
    gnuTime: HAS_GNU_TIME,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** A plain text table: the first row is the header; numbers are right-aligned. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (typeof c === 'number' || /^[\d.,x%-]+( \w+)?$/.test(String(c)) ? String(c).padStart(widths[i]) : String(c ?? '').padEnd(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** A number with a fixed count of significant decimals for tables. */
export function fmt(x, digits = 2) {
  if (x === undefined || x === null || !Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(digits);
}
