// `npm test`: builds dist/ (the CLI smoke, relay durability and package tests run the
// built bin), runs vitest, and ends with one plain summary line
// ("Tests: N passed, N failed, N skipped") that CI logs and people can grep.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
if (run('npx', ['tsc', '-p', 'tsconfig.build.json']) !== 0) process.exit(1);
const dir = mkdtempSync(join(tmpdir(), 'chainmail-vitest-'));
const report = join(dir, 'report.json');
const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`, ...process.argv.slice(2)]);
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`\nTests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
} catch {
  console.log('\nTests: no report written (vitest did not finish)');
}
rmSync(dir, { recursive: true, force: true });
process.exit(status);
