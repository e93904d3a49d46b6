import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { compileRoutingTables } from '../../routing/compile.js';
import type { RoutingTable } from '../../routing/table.js';
import { RouteMemo } from '../../routing/route-memo.js';
import { didYouMean } from '../../validate/did-you-mean.js';
import { ALLOW_PATH_HELP, ALLOW_PATH_OPTION } from '../allow-path.js';
import { parse, type Command } from '../command.js';
import { UsageError, useColor, type CliIo } from '../io.js';
import { progress, progressEnabled } from '../progress.js';
import { loadRoutable } from '../routable.js';
import { loadRoutesDir } from '../routes-dir.js';
import { AddressList } from './route-recipients.js';
import { writeRecipientsJson } from './route-json.js';
import { writeRecipientsText } from './route-text.js';
import { SYNOPSES } from './synopses.js';

export { parseRecipients } from './route-recipients.js';
export { routeText } from './route-text.js';

export const routeCommand: Command = {
  synopsis: SYNOPSES.route,
  help: `usage: chainmail route FILE ADDRESS... [options]
       chainmail route --routes DIR ADDRESS... [options]

Shows where mail for each ADDRESS goes: every system it passes, what each one decides
and why (policy, connector, contact, chain), the next hop, and the outcome with its
enhanced status code (RFC 3463). Like "exim -bt", across every system of the file.
See docs/routing.md for the rules the simulation follows.

options:
  --from F            where the message enters: internet (default, at the gateway)
                      or the name of a system (submitted there by a local user)
  --recipients FILE   also route the addresses in FILE, one per line ("#" starts a
                      comment at the start of a line or after a space; "-" = stdin)
  --json              print { "version": 1, "routes": [...] } (docs/cli.md)
  --routes DIR        route over the routing tables of a build (DIR/<system>/routes.json,
                      as listed in DIR/manifest.json) instead of reading FILE: the same
                      routes as of that build, without parsing the YAML
${ALLOW_PATH_HELP}
Exit codes: 0 every address was routed (whatever its outcome), 1 the file has errors
that prevent routing, 2 usage error or a file that cannot be read.
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      from: { type: 'string', default: 'internet' },
      recipients: { type: 'string' },
      json: { type: 'boolean', default: false },
      routes: { type: 'string' },
      ...ALLOW_PATH_OPTION,
    });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    // with --routes every positional is an address
    const [file, ...addresses] = values.routes !== undefined ? ['', ...positionals] : positionals;
    if (values.routes !== undefined && positionals.some((p) => !p.includes('@') && /\.ya?ml$/i.test(p))) {
      throw new UsageError('--routes DIR replaces FILE: name the addresses only');
    }
    if (file === undefined) throw new UsageError('name the chainmail FILE (or --routes DIR) and at least one ADDRESS (or --recipients FILE)');
    if (addresses.length === 0 && values.recipients === undefined) throw new UsageError('name at least one ADDRESS to route, or --recipients FILE');
    let tables: Map<string, RoutingTable>;
    if (values.routes !== undefined) {
      const loaded = loadRoutesDir(values.routes, io, 'route');
      if (typeof loaded === 'number') return loaded;
      tables = loaded;
    } else {
      const loaded = loadRoutable(file, io, 'route', values['allow-path']);
      if (typeof loaded === 'number') return loaded;
      tables = compileRoutingTables(loaded.model);
    }
    const from = values.from ?? 'internet';
    checkFrom([...tables.keys()], from);
    let list = new AddressList(addresses);
    if (values.recipients !== undefined) {
      const read = await readRecipients(values.recipients, addresses, io);
      if (read === undefined) return 2;
      list = read;
    }
    // the route memo walks once per class of recipient (src/routing/route-memo.ts)
    const memo = new RouteMemo(tables);
    // progress on stderr only while stdout goes elsewhere (a file, a pipe): src/cli/progress.ts
    const bar = progress(io, 'chainmail route', { quiet: io.isTTY });
    // the list's addresses are made as they are routed: its length is known only at the end
    const total = progressEnabled(io, io.isTTY) ? list.bound() : undefined;
    try {
      if (values.json) writeRecipientsJson(list, memo, from, io, bar, total);
      else writeRecipientsText(list, memo, from, io, useColor(io), bar, total);
    } finally {
      bar.done();
    }
    if (values.recipients !== undefined && list.given === 0) io.stderr(`chainmail route: no addresses in ${values.recipients}\n`);
    return 0;
  },
};

/** `--from` must be "internet" or a system of the file (or of the build). */
function checkFrom(systems: readonly string[], from: string): void {
  if (from === 'internet' || systems.includes(from)) return;
  const names = [...systems].sort();
  const guess = didYouMean(from, ['internet', ...names]);
  throw new UsageError(`unknown system ${JSON.stringify(from)} for --from${guess ? `; did you mean ${JSON.stringify(guess)}?` : ''} (use internet or one of: ${names.join(', ')})`);
}

/** Reads --recipients ("-" is stdin) into an {@link AddressList} after the named addresses. */
async function readRecipients(path: string, named: readonly string[], io: CliIo): Promise<AddressList | undefined> {
  if (path === '-') {
    if (!io.readStdin) throw new UsageError('--recipients - needs standard input');
    const input = await io.readStdin();
    return new AddressList(named, typeof input === 'string' || Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  }
  try {
    return new AddressList(named, readFileSync(resolvePath(io.cwd, path)));
  } catch (e) {
    io.stderr(`chainmail route: cannot read --recipients ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the path\n`);
    return undefined;
  }
}
