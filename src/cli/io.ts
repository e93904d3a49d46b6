/** The outside world of one CLI run: streams, environment, working directory. @public */
export interface CliIo {
  stdout(text: string): void;
  /**
   * Writes bytes (UTF-8 text) to stdout; without it, a command that has bytes decodes them
   * for {@link CliIo.stdout}. Returns true when it is done with `bytes` (written or copied:
   * the caller may fill them again), false when the stream still holds them.
   */
  stdoutBytes?(bytes: Uint8Array): boolean;
  stderr(text: string): void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (colours, progress). */
  readonly isTTY: boolean;
  /** Whether stderr is a terminal: only then is a progress line drawn (src/cli/progress.ts). Default false. */
  readonly isStderrTTY?: boolean;
  /**
   * Reads standard input fully (route --recipients -): its bytes, or its text. Bytes are
   * decoded line by line as UTF-8 (a line of plain ASCII without a decoder); text is taken
   * as it is.
   */
  readStdin?(): Promise<string | Uint8Array>;
}

/** The real process's I/O. */
export function processIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stdoutBytes: (b) => {
      process.stdout.write(b);
      // a file, and a pipe or terminal on Linux, takes the bytes before write() returns
      // (nodejs.org/api/process.html, "A note on process I/O"); else the stream queued them
      return process.stdout.writableLength === 0;
    },
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    isStderrTTY: Boolean(process.stderr.isTTY),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      // the bytes: route reads a list line by line (src/cli/commands/route-recipients.ts)
      return Buffer.concat(chunks);
    },
  };
}

/** Colour only on a TTY, never with NO_COLOR (https://no-color.org), forced by FORCE_COLOR. */
export function useColor(io: CliIo): boolean {
  if (io.env['NO_COLOR'] !== undefined && io.env['NO_COLOR'] !== '') return false;
  if (io.env['FORCE_COLOR'] !== undefined && io.env['FORCE_COLOR'] !== '0') return true;
  return io.isTTY;
}

/** A usage error: exit 2 with a one-line message. */
export class UsageError extends Error {}
