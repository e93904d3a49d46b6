import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCsvde } from '../../import/csvde.js';
import type { ImportedModel } from '../../import/imported.js';
import { importPostfix, type PostfixInput } from '../../import/postfix.js';
import { readPostfix, type FileSystem } from '../../import/postfix-files.js';
import { problemText, type ImportProblem } from '../../import/postfix-maps.js';
import { renderImported } from '../../import/render.js';
import { parse, type Command } from '../command.js';
import { UsageError, type CliIo } from '../io.js';
import { progress } from '../progress.js';
import { VERSION } from '../version.js';
import { importLdap } from './import-ldap.js';
import { SYNOPSES } from './synopses.js';

// the package root holds schemas/ (shipped in the package), as for chainmail init
const SCHEMA = fileURLToPath(new URL('../../../schemas/chainmail.schema.json', import.meta.url));

export const importCommand: Command = {
  synopsis: SYNOPSES.import,
  help: `usage: chainmail import postfix DIR|main.cf [options]
       chainmail import csvde FILE [options]
       chainmail import ldap URL --base DN --system NAME [options]  (import ldap --help)

Writes a chainmail file from a running setup, so a site can adopt chainmail (docs/import.md).

  postfix   reads a Postfix gateway's relay_domains, transport, relay_recipients and
            virtual maps: their text sources, not the .db files. Give the directory that
            holds them, or a main.cf: its relay_domains, transport_maps,
            relay_recipient_maps, virtual_alias_maps, relayhost and hopcount_limit say
            which files to read (a file of the same name in the main.cf's directory is
            preferred to the path main.cf names, so a copied configuration works).
  csvde     reads a csvde export of contacts (the seed's header; UTF-8, or UTF-16LE with
            a byte order mark from csvde -u) into an include file with contacts:.

options:
  --out FILE              write the file there (default: standard output); an existing
                          file is only replaced with --force
  --force                 replace an existing --out FILE
  --system NAME           postfix: the system's name (default: gateway);
                          csvde: the Exchange system that holds the contacts
  --host HOST             postfix: how the other systems reach it (default: [myhostname]
                          of main.cf, else a TODO placeholder)
  --local-transport T     postfix: a transport(5) value that delivers to this system's
                          own mailboxes (besides local:, virtual:, lmtp:); repeatable
  --quiet                 no warnings about lines left out (they stay in the file's header)

Exit codes: 0 written, 1 input lines that cannot be read (each named as file:line),
2 usage error or a file that cannot be read.
`,
  async run(args, io) {
    if (args[0] === 'ldap') return importLdap(args.slice(1), io);
    const { values, positionals } = parse(args, {
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      system: { type: 'string' },
      host: { type: 'string' },
      'local-transport': { type: 'string', multiple: true },
      quiet: { type: 'boolean', default: false },
    });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    const [kind, input, ...rest] = positionals;
    if (kind !== 'postfix' && kind !== 'csvde') throw new UsageError(`name what to import: postfix DIR, csvde FILE or ldap URL${kind !== undefined ? `, not ${JSON.stringify(kind)}` : ''}`);
    if (input === undefined || rest.length > 0) throw new UsageError(kind === 'postfix' ? 'name exactly one DIR (or main.cf)' : 'name exactly one csvde FILE');
    if (values.system !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(values.system)) throw new UsageError(`--system ${JSON.stringify(values.system)} is not a system name (letters, digits, ".", "_", "-"; up to 63)`);
    const out = values.out !== undefined ? resolve(io.cwd, values.out) : undefined;
    if (out !== undefined && existsSync(out) && !values.force) {
      io.stderr(`chainmail import: ${values.out} exists; use --force to replace it\n`);
      return 2;
    }
    const bar = progress(io, 'chainmail import', { quiet: values.quiet });
    let result: { model: ImportedModel; errors: readonly ImportProblem[]; warnings: readonly ImportProblem[] } | number;
    try {
      const generator = `Imported by chainmail ${VERSION}`;
      if (kind === 'csvde') {
        bar.step(`reading ${input}`);
        const bytes = readInput(resolve(io.cwd, input), input, io);
        result = typeof bytes === 'number' ? bytes : importCsvde(bytes, input, { generator, ...(values.system !== undefined ? { system: values.system } : {}) });
      } else {
        bar.step(`reading the maps in ${input}`);
        const read = readPostfix(resolve(io.cwd, input), input, nodeFs);
        if (typeof read === 'string') {
          io.stderr(`chainmail import: ${read}\n`);
          return 2;
        }
        bar.step('importing');
        const host = values.host ?? (read.myhostname !== undefined ? `[${read.myhostname}]` : 'TODO.invalid');
        const hostNote =
          values.host !== undefined ? undefined : read.myhostname !== undefined ? 'TODO: check host (from myhostname): how the other systems reach this one' : 'TODO: set host: how the other systems reach this one (import --host)';
        const r = importPostfix({ ...read.input, readWarnings: read.warnings } satisfies PostfixInput, {
          system: values.system ?? 'gateway',
          host,
          ...(hostNote !== undefined ? { hostNote } : {}),
          localTransports: values['local-transport'] ?? [],
          generator,
        });
        result = { model: r.model, errors: [...read.errors, ...r.errors], warnings: [...read.warnings, ...r.warnings] };
      }
    } finally {
      bar.done();
    }
    if (typeof result === 'number') return result;
    for (const e of result.errors) io.stderr(`chainmail import: ${problemText(e)}\n`);
    if (result.errors.length > 0) {
      io.stderr(`chainmail import: ${result.errors.length} line${result.errors.length === 1 ? '' : 's'} cannot be read; nothing was written\n`);
      return 1;
    }
    if (!values.quiet) for (const w of result.warnings) io.stderr(`chainmail import: warning: ${problemText(w)}\n`);
    const schemaRef = relative(out ? dirname(out) : io.cwd, SCHEMA).split('\\').join('/');
    const text = renderImported(result.model, schemaRef);
    if (out === undefined) {
      io.stdout(text);
      return 0;
    }
    writeFileSync(out, text);
    io.stdout(`wrote ${values.out}: ${summary(result.model)}\n`);
    if (!result.model.include) io.stdout(`${await lintSummary(out, io)}\n`);
    return 0;
  },
};

function readInput(abs: string, shown: string, io: CliIo): Uint8Array | number {
  try {
    if (statSync(abs).isDirectory()) {
      io.stderr(`chainmail import: ${shown} is a directory; name the csvde file\n`);
      return 2;
    }
    return readFileSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.stderr(`chainmail import: ${shown}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? 'error'})`}; check the path\n`);
    return 2;
  }
}

function summary(m: ImportedModel): string {
  const n = (k: number, w: string): string => `${k} ${w}${k === 1 ? '' : 's'}`;
  const mailboxes = m.systems.reduce((s, x) => s + (x.mailboxes?.length ?? 0), 0);
  const parts = m.include
    ? [n(m.contacts.length, 'contact')]
    : [n(m.domains.length, 'domain'), n(m.systems.length, 'system'), n(mailboxes, 'mailbox'), n(m.connectors.length, 'connector'), n(m.chains.length, 'chain'), n(m.contacts.length, 'contact')];
  return parts.join(', ').replace('mailboxs', 'mailboxes');
}

/** The new file linted, in one line: an import should lint clean, or say what to look at. */
async function lintSummary(file: string, io: CliIo): Promise<string> {
  // the linter and the loader only here: `import ldap` (100,000 entries, bench/README.md) starts without them
  const [{ lint }, { loadModel }] = await Promise.all([import('../../analyze/lint.js'), import('../../pipeline.js')]);
  const r = lint(loadModel(file, { cwd: io.cwd }));
  const rel = relative(io.cwd, file);
  const shown = rel === '' ? basename(file) : rel.startsWith('..') ? file : rel;
  if (r.fatal) return `lint: ${r.fatal}`;
  if (r.errors === 0 && r.warnings === 0) return `lint: no problems; next: chainmail route ${shown} ADDRESS`;
  return `lint: ${r.errors} error${r.errors === 1 ? '' : 's'}, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}; run chainmail lint ${shown}`;
}

/** The real file system for readPostfix: text, 'dir', or undefined when missing or unreadable. */
const nodeFs: FileSystem = {
  read(path) {
    try {
      if (statSync(path).isDirectory()) return 'dir';
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};
