import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { clearingStderr, progress, progressEnabled } from './progress.js';

function io(over: Partial<CliIo> = {}): CliIo & { err: string } {
  const o = {
    err: '',
    stdout: () => {},
    stderr: (t: string) => {
      o.err += t;
    },
    cwd: '/',
    env: {},
    isTTY: false,
    isStderrTTY: true,
    ...over,
  };
  return o;
}

describe('progressEnabled', () => {
  it.each<[string, Partial<CliIo>, boolean, boolean]>([
    ['stderr is a terminal', {}, false, true],
    ['stderr is not a terminal', { isStderrTTY: false }, false, false],
    ['--quiet', {}, true, false],
    ['CI=true', { env: { CI: 'true' } }, false, false],
    ['CI=1 (GitLab sets "true", others "1")', { env: { CI: '1' } }, false, false],
    ['CI set empty', { env: { CI: '' } }, false, true],
    ['CI=false', { env: { CI: 'false' } }, false, true],
    ['TERM=dumb', { env: { TERM: 'dumb' } }, false, false],
  ])('%s', (_name, over, quiet, expected) => {
    expect(progressEnabled(io(over), quiet)).toBe(expected);
  });
});

it('is off for an io without isStderrTTY (tests, embedders)', () => {
  const { isStderrTTY: _ignored, ...rest } = io();
  expect(progressEnabled(rest)).toBe(false);
});

describe('progress', () => {
  it('shows nothing before the delay, then one line redrawn in place, erased at the end', () => {
    let t = 0;
    const o = io();
    const bar = progress(o, 'chainmail route', { now: () => t, delay: 500, interval: 100 });
    for (let i = 1; i <= 640; i++) bar.update(i, 1_000_000);
    expect(o.err).toBe('');
    t = 600;
    for (let i = 641; i <= 1280; i++) bar.update(i, 1_000_000);
    // the clock is read on every 64th update: the first read after the delay draws
    expect(o.err).toBe('\rchainmail route: 704/1,000,000 (0%)\u001b[K');
    o.err = '';
    for (let i = 1281; i <= 1920; i++) bar.update(i, 1_000_000);
    expect(o.err).toBe(''); // within the interval: no redraw
    t = 700;
    for (let i = 1921; i <= 1984; i++) bar.update(i, 1_000_000);
    expect(o.err).toBe('\rchainmail route: 1,984/1,000,000 (0%)\u001b[K');
    o.err = '';
    bar.done();
    expect(o.err).toBe('\r\u001b[K');
    bar.done();
    expect(o.err).toBe('\r\u001b[K'); // erased once
  });

  it('draws steps once the run is slow, and erases before another message', () => {
    let t = 0;
    const o = io();
    const bar = progress(o, 'chainmail build', { now: () => t });
    bar.step('loading big.yaml');
    t = 800;
    bar.step('linting');
    const e = clearingStderr(o, bar);
    e.stderr('big.yaml: 1 error\n');
    expect(o.err).toBe('\rchainmail build: linting\u001b[K\r\u001b[Kbig.yaml: 1 error\n');
  });

  it('is silent when not enabled, whatever happens', () => {
    const o = io({ env: { CI: 'true' } });
    const bar = progress(o, 'x', { now: () => 1e9, delay: 0 });
    for (let i = 0; i < 1000; i++) bar.update(i);
    bar.step('s');
    bar.done();
    expect(o.err).toBe('');
  });
});

describe('progress in the commands', () => {
  const root = new URL('../..', import.meta.url).pathname;
  const run = async (args: string[], over: Partial<CliIo>): Promise<{ code: number; out: string; err: string }> => {
    const { main } = await import('./main.js');
    let out = '';
    let err = '';
    const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), cwd: root, env: {}, isTTY: false, ...over });
    return { code, out, err };
  };

  it.each<[string, string[]]>([
    ['route', ['route', 'examples/method1/chainmail.yaml', 'carol@example.com', 'nobody@example.com']],
    ['plan --base', ['plan', 'testdata/diff/002-mailbox-removed/head.yaml', '--base', 'testdata/diff/002-mailbox-removed/base.yaml']],
  ])('%s: never in CI, and stdout is the same with or without a terminal on stderr', async (_name, args) => {
    const plain = await run(args, {});
    const ci = await run(args, { isStderrTTY: true, env: { CI: 'true' } });
    const tty = await run(args, { isStderrTTY: true });
    expect(ci).toEqual(plain);
    expect(tty.out).toBe(plain.out);
    // a quick run finishes before the line would appear (the delay)
    expect(tty.err).toBe(plain.err);
  });
});
