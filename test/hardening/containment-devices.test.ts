import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boundary, ContainedReader } from '../../src/load/containment.js';
import { builtCli, cli, leaks, org, sandbox, write, type Sandbox } from '../support/contained-cli.js';

/**
 * Files that are no files (issue 12): /dev/zero grew to gigabytes (the size limit read
 * stat().size, 0 for a device), a FIFO hung forever, one large mailbox file listed 40 times
 * was read 40 times. Each is now one finding, with memory bounded: asserted on the child's
 * peak resident set (getrusage), never on elapsed time; the child's 60 s timeout is only a
 * hang guard.
 */

const built = builtCli();
const boxes: Sandbox[] = [];
afterAll(() => {
  for (const b of boxes) rmSync(b.top, { recursive: true, force: true });
});

/** Peak memory a run may use: node and the CLI take about 100 MB; /dev/zero used to take gigabytes. */
const MAX_RSS = 300 * 1024 * 1024;

interface Diag {
  ruleId: string;
  message: string;
  line: number;
}

type Special = [name: string, make: (box: Sandbox) => string, what: RegExp];

const SPECIAL: Special[] = [
  ['/dev/zero', () => '/dev/zero', /is a character device, not a regular file/],
  ['/dev/urandom', () => '/dev/urandom', /is a character device, not a regular file/],
  [
    'a FIFO',
    (b) => {
      expect(spawnSync('mkfifo', [join(b.repo, 'fifo')]).status).toBe(0);
      return 'fifo';
    },
    /is a named pipe \(FIFO\), not a regular file/,
  ],
  [
    'a unix socket',
    (b) => {
      // a bound socket's file stays after the process exits
      const r = spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', join(b.repo, 'sock')]);
      expect(r.status, r.stderr.toString()).toBe(0);
      return 'sock';
    },
    /is a socket, not a regular file/,
  ],
  [
    'a directory',
    (b) => {
      mkdirSync(join(b.repo, 'dir.yaml'));
      return 'dir.yaml';
    },
    /is a directory, not a regular file/,
  ],
];

describe.skipIf(!built)('devices, pipes, sockets and directories as input', () => {
  it.each(SPECIAL.flatMap(([name, make, what]) => [['include', name, make, what] as const, ['mailbox file', name, make, what] as const]))(
    '%s %s: one finding, memory bounded',
    (as, _name, make, what) => {
      const box = sandbox('containment-dev');
      boxes.push(box);
      const path = make(box);
      const yaml = as === 'include' ? org({ top: `include: [${path}]\n` }) : org({ unix: `    mailboxFiles: [${path}]\n` });
      write(box.repo, { 'chainmail.yaml': yaml });
      // /dev is outside the repository: allowed explicitly, so the file type is what refuses it
      const batch = cli(box, [
        ['lint', 'chainmail.yaml', '--format', 'json', '--allow-path', '/dev'],
        ['lint', 'chainmail.yaml', '--allow-path', '/dev'],
        ['lint', 'chainmail.yaml', '--format', 'json'],
      ]);
      expect(batch.error).toBeUndefined();
      const [json, text, unallowed] = batch.runs;
      const found = (JSON.parse(json?.stdout ?? '') as { diagnostics: Diag[] }).diagnostics;
      expect(found.map((d) => d.ruleId)).toEqual(['yaml-syntax']);
      expect(found[0]?.message).toMatch(what);
      // one line of text names it (the code frame below it shows the YAML, not the file)
      expect(text?.stdout.split('\n').filter((l) => /: error: /.test(l))).toHaveLength(1);
      const devices = path.startsWith('/dev/');
      expect((JSON.parse(unallowed?.stdout ?? '') as { diagnostics: Diag[] }).diagnostics.map((d) => d.ruleId)).toEqual([devices ? 'path-outside-repository' : 'yaml-syntax']);
      expect(batch.maxRss).toBeLessThan(MAX_RSS);
      expect(leaks(box, batch)).toEqual([]);
    },
  );

  it('reads a large mailbox file listed 40 times once, and reports the other 39', () => {
    const box = sandbox('containment-amp');
    boxes.push(box);
    // 18 MB of comment lines: all of the cost is reading and splitting, none is linting
    writeFileSync(join(box.repo, 'big.txt'), `${'# a comment line of a large mailbox file, ......................\n'.repeat(18 * 1024 * 1024 / 64)}`);
    write(box.repo, { 'chainmail.yaml': org({ unix: `    mailboxFiles: [${Array(40).fill('big.txt').join(', ')}]\n` }) });
    const batch = cli(box, [['lint', 'chainmail.yaml', '--format', 'json']]);
    expect(batch.error).toBeUndefined();
    const found = (JSON.parse(batch.runs[0]?.stdout ?? '') as { diagnostics: Diag[] }).diagnostics;
    expect(found.map((d) => d.ruleId)).toEqual(Array(39).fill('schema'));
    expect(found[0]?.message).toBe('mailbox file "big.txt" of system "unix" names a file already read ("big.txt"): name each file once');
    // 40 reads of 18 MB as UTF-16 strings were 1.4 GB
    expect(batch.maxRss).toBeLessThan(MAX_RSS);
  });
});

describe('the reader: races, budget, one read per file', () => {
  const box = sandbox('containment-reader');
  boxes.push(box);
  write(box.repo, { 'dir/file.txt': 'inside\n', 'a.txt': 'x'.repeat(600), 'b.txt': 'y'.repeat(600) });
  write(box.outside, { 'file.txt': `${box.fileSecret}\n` });
  const main = join(box.repo, 'chainmail.yaml');

  it('does not follow a symbolic link swapped in for the file after the check (O_NOFOLLOW)', () => {
    const file = join(box.repo, 'swap.txt');
    writeFileSync(file, 'inside\n');
    const reader = new ContainedReader(boundary(main), 1e6, (real) => {
      rmSync(real);
      symlinkSync(join(box.outside, 'file.txt'), real);
    });
    expect(reader.read(file, 'swap.txt', 1e6)).toEqual({ ok: false, refusal: { kind: 'outside' } });
  });

  it('does not read through a parent directory swapped for a symbolic link after the check (the opened file is checked)', () => {
    const reader = new ContainedReader(boundary(main), 1e6, () => {
      renameSync(join(box.repo, 'dir'), join(box.repo, 'dir.old'));
      symlinkSync(box.outside, join(box.repo, 'dir'));
    });
    expect(reader.read(join(box.repo, 'dir/file.txt'), 'dir/file.txt', 1e6)).toEqual({ ok: false, refusal: { kind: 'outside' } });
  });

  it('bounds the bytes of one run, and reads one file named twice once', () => {
    symlinkSync('a.txt', join(box.repo, 'again.txt'));
    const reader = new ContainedReader(boundary(main), 1000);
    expect(reader.read(join(box.repo, 'a.txt'), 'a.txt', 1e6).ok).toBe(true);
    expect(reader.read(join(box.repo, 'again.txt'), 'again.txt', 1e6)).toEqual({ ok: false, refusal: { kind: 'duplicate', first: 'a.txt' } });
    expect(reader.read(join(box.repo, 'b.txt'), 'b.txt', 1e6)).toEqual({ ok: false, refusal: { kind: 'budget', limit: 1000 } });
    expect(reader.spent).toBeLessThanOrEqual(1001);
  });

  it('reads a file whole around the chunk size, and one whose content outgrows its size', () => {
    const chunk = 1024 * 1024;
    for (const size of [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + 5]) {
      const name = `size-${size}.bin`;
      const bytes = Buffer.alloc(size, size % 251);
      if (size > 0) bytes[size - 1] = 7;
      writeFileSync(join(box.repo, name), bytes);
      const r = new ContainedReader(boundary(main), 1e9).read(join(box.repo, name), name, 1e8);
      expect(r.ok && r.bytes.equals(bytes), `${size} bytes`).toBe(true);
    }
    // a /proc file is a regular file of size 0 with content: read on past the size fstat gave
    const proc = new ContainedReader(boundary(main, ['/proc/self']), 1e9).read('/proc/self/status', 'status', 1e6);
    expect(proc.ok && proc.bytes.toString('utf8')).toMatch(/^Name:\t[^\n]+\n[\s\S]*\nVmRSS:/);
    // and stops one chunk past the limit however large the content is
    expect(new ContainedReader(boundary(main, ['/proc/self']), 1e9).read('/proc/self/status', 'status', 10)).toEqual({ ok: false, refusal: { kind: 'too-large', limit: 10 } });
  });

  it('enforces the size limit while reading a device, not from its size (0)', () => {
    const reader = new ContainedReader(boundary(main, ['/dev']), 1e9);
    expect(reader.read('/dev/zero', '/dev/zero', 100)).toEqual({ ok: false, refusal: { kind: 'not-regular', what: 'a character device' } });
  });
});
