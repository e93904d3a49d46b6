import type { CliIo } from './io.js';
import { UsageError } from './io.js';
import { commands } from './commands/index.js';
import { VERSION } from './version.js';

const USAGE = `usage: chainmail <command> [options]

commands:
${'{{commands}}'}

Run "chainmail <command> --help" for a command's options. Exit codes: 0 success,
1 findings at error severity / failed tests / stale artifacts, 2 usage error or a file
that cannot be read, 3 plan --detailed-exitcode found changes.
`;

/**
 * The CLI as a function: runs one command and returns its exit code. Never throws for
 * anything a user can cause; an unexpected exception is an internal error (exit 2).
 * @public
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const usage = USAGE.replace('{{commands}}', Object.values(commands).map((c) => `  ${c.synopsis}`).join('\n'));
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(usage);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name as keyof typeof commands] : undefined;
  if (!entry) {
    io.stderr(`chainmail: unknown command ${JSON.stringify(name)}; run "chainmail --help" for the list\n`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`chainmail ${name}: ${e.message}\n`);
      return 2;
    }
    if (isArgError(e)) {
      io.stderr(`chainmail ${name}: ${(e as Error).message}; run "chainmail ${name} --help"\n`);
      return 2;
    }
    const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
    io.stderr(`chainmail ${name}: internal error: ${msg.split('\n')[0]}\nThis is a bug in chainmail ${VERSION}; please report it with the input that caused it.\n`);
    if (io.env['CHAINMAIL_DEBUG']) io.stderr(`${msg}\n`);
    return 2;
  }
}

function isArgError(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
