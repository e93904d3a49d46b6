import { TARGET_IDS } from '../../compile/compile.js';
import { ArtifactError, compareArtifacts, writeArtifacts } from '../../compile/emit.js';
import { ALLOW_PATH_HELP } from '../allow-path.js';
import { parse, type Command } from '../command.js';
import { BUILD_OPTIONS, prepareBuild, shown, warnIgnored } from '../prepare-build.js';
import { clearingStderr, progress } from '../progress.js';
import { SYNOPSES } from './synopses.js';

export const buildCommand: Command = {
  synopsis: SYNOPSES.build,
  help: `usage: chainmail build FILE --out DIR [options]

Lints FILE and, when it has no error, compiles it into deployable artifacts in DIR
(docs/build.md): Postfix maps and main.cf lines, Exchange runbooks and setup.ps1, the
contacts as LDIF and csvde CSV, and the routing tables (routes.json), with manifest.json.
The write is atomic: on any error DIR is left as it was. DIR holds exactly what this build
produces: files of an earlier build that it no longer produces are removed.

options:
  --out DIR              the output directory (required)
  --target LIST          comma-separated subset of: ${TARGET_IDS.join(', ')} (default: all)
  --check                write nothing; exit 1 and list the files that differ when DIR is
                         not what build would write (stale artifacts in a pull request)
  --postfix-dir P        where the Postfix maps are deployed (default /etc/postfix/chainmail)
  --map-type T           Postfix map type: hash (default) or lmdb
  --with-ous             LDIF: create the contacts' organisational units first
  --postfix-for LIST     systems that also get Postfix files (besides kind: postfix)
  --report F:FILE        also write the lint report of this run in format F to FILE
                         (repeatable), byte for byte what chainmail lint --format F prints:
                         a pipeline that lints and builds parses FILE once
${ALLOW_PATH_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(args, { ...BUILD_OPTIONS, check: { type: 'boolean', default: false }, report: { type: 'string', multiple: true } });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    // a progress line on a terminal for a large organisation (src/cli/progress.ts)
    const bar = progress(io, 'chainmail build');
    const prepared = prepareBuild(positionals, values, clearingStderr(io, bar), 'build', (step) => bar.step(step));
    bar.done();
    if (typeof prepared === 'number') return prepared;
    const { files, out } = prepared;
    try {
      if (values.check) {
        const c = compareArtifacts(out, files);
        warnIgnored(io, out, c.ignored);
        const lines = [...c.missing.map((p) => `missing  ${p}`), ...c.stale.map((p) => `stale    ${p}`), ...c.extra.map((p) => `extra    ${p}`)];
        if (lines.length === 0) {
          io.stdout(`${shown(io, out)} is up to date (${files.length} files)\n`);
          return 0;
        }
        io.stdout(`${lines.join('\n')}\n`);
        io.stderr(`chainmail build --check: ${lines.length} file${lines.length === 1 ? '' : 's'} in ${shown(io, out)} differ from what build would write; run chainmail build to update them\n`);
        return 1;
      }
      const r = writeArtifacts(out, files);
      warnIgnored(io, out, r.ignored);
      for (const p of r.written) io.stdout(`wrote    ${p}\n`);
      for (const p of r.removed) io.stdout(`removed  ${p}\n`);
      io.stdout(`${shown(io, out)}: ${r.written.length} written, ${r.removed.length} removed, ${r.unchanged.length} unchanged\n`);
      return 0;
    } catch (e) {
      if (e instanceof ArtifactError) {
        io.stderr(`chainmail build: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
  },
};

