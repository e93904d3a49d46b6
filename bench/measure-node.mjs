// Fallback measurement when GNU time(1) is not installed: runs the chainmail CLI in this
// process and, at exit, writes "wall user sys maxRSS(KB)" (GNU time's "%e %U %S %M") to
// the report file, from process.resourceUsage() (getrusage(2) of this process).
//
//   node bench/measure-node.mjs REPORT chainmail-args...
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// not from lib.mjs: that module installs signal handlers this child must not have
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'bin.js');

const [report, ...args] = process.argv.slice(2);
process.on('exit', () => {
  const u = process.resourceUsage();
  writeFileSync(report, `${(performance.now() / 1000).toFixed(3)} ${(u.userCPUTime / 1e6).toFixed(3)} ${(u.systemCPUTime / 1e6).toFixed(3)} ${u.maxRSS}\n`);
});
process.argv = [process.argv[0], CLI, ...args];
await import(pathToFileURL(CLI).href);
