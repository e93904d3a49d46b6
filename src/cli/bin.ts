#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './main.js';

// A reader that stops early (`chainmail route ... | head`) closes the pipe: stop quietly,
// as a tool that SIGPIPE ends would, instead of a stack trace for the next write (Node
// ignores SIGPIPE and reports EPIPE on the stream). Any other write error is one line.
for (const [stream, name] of [
  [process.stdout, 'standard output'],
  [process.stderr, 'standard error'],
] as const) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    if (stream !== process.stderr) process.stderr.write(`chainmail: cannot write to ${name} (${e.code ?? e.message})\n`);
    process.exit(2);
  });
}

process.exitCode = await main(process.argv.slice(2), processIo());
