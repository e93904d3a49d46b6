#!/usr/bin/env node
// `npm start`: a tour of chainmail over the examples, run with the built dist/ (npm start
// builds first). Lints every examples/*/chainmail.yaml, runs their tests, routes a few
// addresses of the seed's two methods, and builds the artifacts when this version has a
// build command. Exits non-zero on any lint error, failed test or failed build.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
process.chdir(root);
if (!existsSync('dist/cli/main.js')) {
  console.error('start: dist/ is missing; run "npm run build" first (npm start does it for you)');
  process.exit(2);
}
const { main } = await import('../dist/cli/main.js');
const { processIo, useColor } = await import('../dist/cli/io.js');
const { commands } = await import('../dist/cli/commands/index.js');

const io = processIo();
const bold = useColor(io) ? (s) => `\u001b[1m${s}\u001b[0m` : (s) => s;
let step = 0;
const heading = (title) => io.stdout(`\n${bold(`== ${++step}. ${title} ==`)}\n\n`);
const show = (argv) => io.stdout(`$ chainmail ${argv.map((a) => (/^[\w./@:%=-]+$/u.test(a) ? a : JSON.stringify(a))).join(' ')}\n`);
const failures = [];
async function chainmail(argv, what) {
  show(argv);
  const code = await main(argv, io);
  if (code !== 0 && what) failures.push(`${what} (exit ${code})`);
  return code;
}

const examples = readdirSync('examples', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('examples', d.name, 'chainmail.yaml')))
  .map((d) => d.name)
  .sort();
const files = examples.map((name) => `examples/${name}/chainmail.yaml`);

heading('Lint every example');
await chainmail(['lint', ...files], 'lint found errors');

heading('Run the route tests (tests:) of every example');
await chainmail(['test', ...files], 'tests failed');

heading('Where does mail go? Method 1: Exchange shares example.com with a UNIX server');
await chainmail(['route', 'examples/method1/chainmail.yaml', 'carol@example.com', 'bob@example.local', 'nobody@example.com', 'someone@foreign.test'], 'route failed');

if (existsSync('examples/method2/chainmail.yaml')) {
  heading('Where does mail go? Method 2: Exchange as a mail switch with contacts');
  await chainmail(['route', 'examples/method2/chainmail.yaml', 'internetuser@xo.one', 'administrator@xo.one', 'nobody@xo.one'], 'route failed');
}
if (existsSync('examples/idn-chain/chainmail.yaml')) {
  heading('Where does mail go? A three-system chain for 例え.jp (U-label and A-label)');
  await chainmail(['route', 'examples/idn-chain/chainmail.yaml', 'sato@例え.jp', 'sato@xn--r8jz45g.jp'], 'route failed');
}

heading('Build the artifacts');
if (Object.hasOwn(commands, 'build')) {
  for (const name of examples) await chainmail(['build', `examples/${name}/chainmail.yaml`, '--out', `out/${name}`], `build of ${name} failed`);
  io.stdout(`\nartifacts written under out/ (${examples.map((n) => `out/${n}`).join(', ')})\n`);
} else {
  io.stdout('skipped: this version has no build command\n');
}

io.stdout(`\n${bold(failures.length === 0 ? 'done: every example lints clean and passes its tests' : `FAILED: ${failures.join('; ')}`)}\n`);
process.exitCode = failures.length === 0 ? 0 : 1;
