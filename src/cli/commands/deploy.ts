import { resolve } from 'node:path';
import type { MapType } from '../../compile/targets/postfix/postfix.js';
import { readPostfixArtifacts } from '../../deploy/artifacts.js';
import { DeployError } from '../../deploy/deploy-error.js';
import { deployPostfix } from '../../deploy/deploy-postfix.js';
import { postfixCommands } from '../../deploy/postfix-commands.js';
import { parse, type Command } from '../command.js';
import { UsageError } from '../io.js';
import { SYNOPSES } from './synopses.js';

export const deployCommand: Command = {
  synopsis: SYNOPSES.deploy,
  help: `usage: chainmail deploy postfix DIR [options]

Installs one system's Postfix artifacts from DIR (the --out directory of chainmail build)
on this host, as root (docs/postfix.md "Deploying"):
  1. checks DIR: real directories and regular files only (no symbolic links), each
     file's sha256 as manifest.json lists it, main.cf only parameters chainmail writes;
  2. postmaps each map as MAP.chainmail-new beside the old one, then renames the new
     index (.db/.lmdb) and then the new source over the old ones (atomic per file);
  3. postconf -e every main.cf setting (comments and blank lines skipped);
  4. postfix check;  5. postfix reload (when Postfix runs).
When a step of 2-5 fails, the old maps and the old main.cf are put back (byte for byte)
and a running Postfix is reloaded onto them.

options:
  --system NAME        the system whose DIR/NAME/postfix to deploy (default: the only one)
  -c, --config-dir D   Postfix's configuration directory (default /etc/postfix)
  --map-dir D          where the maps go (default: the directory main.cf names,
                       chainmail build --postfix-dir); main.cf is pointed there
  --map-type T         hash or lmdb (default: the type main.cf names)
  --dry-run            check DIR and show what would change; change nothing

Exit codes: 0 deployed (or --dry-run), 1 not deployed (DIR refused, or a step failed
and was rolled back), 2 usage error.
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      system: { type: 'string' },
      'config-dir': { type: 'string', short: 'c', default: '/etc/postfix' },
      'map-dir': { type: 'string' },
      'map-type': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    const [what, dir, ...extra] = positionals;
    if (what !== 'postfix') throw new UsageError(what === undefined ? 'say what to deploy: chainmail deploy postfix DIR' : `cannot deploy ${JSON.stringify(what)}; only postfix`);
    if (dir === undefined) throw new UsageError('name the --out directory of chainmail build: chainmail deploy postfix DIR');
    if (extra.length > 0) throw new UsageError(`deploys one DIR; unexpected ${JSON.stringify(extra[0])}`);
    const mapType = values['map-type'];
    if (mapType !== undefined && mapType !== 'hash' && mapType !== 'lmdb') throw new UsageError(`--map-type must be hash or lmdb, not ${JSON.stringify(mapType)}`);
    const configDir = resolve(io.cwd, values['config-dir'] ?? '/etc/postfix');
    try {
      const artifacts = readPostfixArtifacts(resolve(io.cwd, dir), values.system);
      deployPostfix({
        artifacts,
        configDir,
        ...(values['map-dir'] !== undefined ? { mapDir: resolve(io.cwd, values['map-dir']) } : {}),
        ...(mapType !== undefined ? { mapType: mapType as MapType } : {}),
        dryRun: values['dry-run'] ?? false,
        commands: postfixCommands(configDir, io.env['PATH']),
        log: (line) => io.stdout(`${line}\n`),
      });
      return 0;
    } catch (e) {
      if (!(e instanceof DeployError)) throw e;
      io.stderr(`chainmail deploy: ${e.message}\n`);
      return 1;
    }
  },
};
