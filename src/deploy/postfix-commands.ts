import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DeployError } from './deploy-error.js';

/** Where Debian, RHEL and the BSDs install the Postfix commands, besides $PATH. */
const SBIN = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** The result of one Postfix command. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs Postfix's own commands against one config directory (`-c DIR`, postconf(1), postfix(1)). */
export interface PostfixCommands {
  postconf(args: readonly string[]): CommandResult;
  postmap(args: readonly string[]): CommandResult;
  postfix(args: readonly string[]): CommandResult;
  /**
   * postfix(1) again with a terminal as stderr: it prints its messages only to a terminal,
   * otherwise only to the mail log (and a fatal error in main.cf comes before it knows
   * maillog_file). Uses util-linux script(1) when there is one; else the plain run.
   */
  postfixOnTerminal(args: readonly string[]): CommandResult;
}

function find(name: string, path: string | undefined): string {
  for (const dir of [...(path ?? '').split(delimiter).filter(Boolean), ...SBIN]) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  throw new DeployError(`${name} not found in $PATH or ${SBIN.join(', ')}: deploy runs on the Postfix host`);
}

/** The real commands; `configDir` is passed as `-c` to every one of them. */
export function postfixCommands(configDir: string, path: string | undefined): PostfixCommands {
  const tools = { postconf: find('postconf', path), postmap: find('postmap', path), postfix: find('postfix', path) };
  const run = (tool: string, args: readonly string[]): CommandResult => {
    // generous: postfix reload waits for the master; postmap of a large map takes a while
    const r = spawnSync(tool, ['-c', configDir, ...args], { encoding: 'utf8', timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.error ? String(r.error.message) : (r.stderr ?? '') };
  };
  const shell = (args: readonly string[]): string => [tools.postfix, '-c', configDir, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return {
    postconf: (a) => run(tools.postconf, a),
    postmap: (a) => run(tools.postmap, a),
    postfix: (a) => run(tools.postfix, a),
    postfixOnTerminal(a) {
      let script: string;
      try {
        script = find('script', path);
      } catch {
        return run(tools.postfix, a);
      }
      const r = spawnSync(script, ['-qec', shell(a), '/dev/null'], { encoding: 'utf8', timeout: 600_000 });
      return { code: r.status ?? 1, stdout: '', stderr: `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/\r/g, '') };
    },
  };
}

/** The first `fatal:`/`error:` line of a Postfix command (or its first line), for a one-line message. */
export function firstProblem(r: CommandResult): string {
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = lines.find((l) => /\b(fatal|error|panic):/.test(l)) ?? lines.find((l) => /\bwarning:/.test(l)) ?? lines[0];
  return bad ?? `exit code ${r.code}`;
}
