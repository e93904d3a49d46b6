import type { CliIo } from './io.js';

/** A single updating status line on stderr for long runs. */
export interface Progress {
  /** Sets the count done (and the total, when known). Cheap: call it for every item. */
  update(done: number, total?: number): void;
  /** Names the current step of a run that has steps rather than a count. */
  step(text: string): void;
  /** Erases the line; call once at the end (also on errors). */
  done(): void;
}

export interface ProgressOptions {
  /** --quiet, or output that itself goes to the terminal: never show it. */
  readonly quiet?: boolean;
  /** Milliseconds before the line first appears (default 500): a quick run shows nothing. */
  readonly delay?: number;
  /** Milliseconds between redraws (default 100): a million updates are not a million writes. */
  readonly interval?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

const SILENT: Progress = { update() {}, step() {}, done() {} };

/**
 * Whether a progress line may be drawn: only when stderr is a terminal, never with --quiet,
 * never in CI (the CI variable, set by GitHub Actions, GitLab CI and most others), never
 * with TERM=dumb. Nothing is ever written to stdout, so pipes and files stay clean.
 */
export function progressEnabled(io: CliIo, quiet = false): boolean {
  if (quiet || io.isStderrTTY !== true) return false;
  const ci = io.env['CI'];
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') return false;
  return io.env['TERM'] !== 'dumb';
}

/**
 * A progress line `label: 12,345/1,000,000 (1%)` (or `label: step`), redrawn in place with
 * a carriage return and erase-to-end-of-line (ECMA-48 EL, `ESC [ K`); `done()` erases it.
 * A no-op unless {@link progressEnabled}.
 */
export function progress(io: CliIo, label: string, options: ProgressOptions = {}): Progress {
  if (!progressEnabled(io, options.quiet)) return SILENT;
  const delay = options.delay ?? 500;
  const interval = options.interval ?? 100;
  const now = options.now ?? Date.now;
  const start = now();
  let last = -Infinity;
  let drawn = false;
  let calls = 0;
  const draw = (text: () => string, force: boolean): void => {
    // the clock costs more than a counter: look at it on every 64th update only
    if (!force && ++calls % 64 !== 0) return;
    const t = now();
    if (t - start < delay || (!force && t - last < interval)) return;
    last = t;
    drawn = true;
    io.stderr(`\r${text()}\u001b[K`);
  };
  return {
    update(done, total) {
      draw(() => {
        const of = total !== undefined && total > 0 ? `/${total.toLocaleString('en-US')} (${Math.floor((done / total) * 100)}%)` : '';
        return `${label}: ${done.toLocaleString('en-US')}${of}`;
      }, false);
    },
    step(text) {
      draw(() => `${label}: ${text}`, true);
    },
    done() {
      if (drawn) io.stderr('\r\u001b[K');
      drawn = false;
    },
  };
}

/** `io` whose stderr erases the progress line first, so a message never lands on top of it. */
export function clearingStderr(io: CliIo, bar: Progress): CliIo {
  return {
    ...io,
    stderr: (text) => {
      bar.done();
      io.stderr(text);
    },
  };
}
