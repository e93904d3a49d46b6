import { writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseDnFor, checkDomain, parseRemoteSpec, parseSystemSpec, privateSpaceFor, StarterOptionError } from '../../init/options.js';
import { cloudStarter, type CloudStarterOptions } from '../../init/cloud-starter.js';
import { starter, type StarterOptions } from '../../init/starter.js';
import { parse, type Command } from '../command.js';
import { UsageError, type CliIo } from '../io.js';
import { SYNOPSES } from './synopses.js';

// src/cli/commands/init.ts and dist/cli/commands/init.js are both three levels below the
// package root, which holds schemas/ (shipped in the package)
const SCHEMA = fileURLToPath(new URL('../../../schemas/chainmail.schema.json', import.meta.url));

export const initCommand: Command = {
  synopsis: SYNOPSES.init,
  help: `usage: chainmail init [options]

Writes a commented starter chainmail file for Microsoft KB 321721, which lints clean.

method 1 (default): systems that share one domain, forwarding unresolved recipients in order
  chainmail init --gateway exchange --share example.com --with unix=[192.168.1.10]
method 2: Exchange as a mail switch with contacts for remote domains
  chainmail init --method 2 --domain xo.one --remote remote.domain=[10.1.1.1]
hybrid: Exchange Online (MX), on-premises Exchange and Postfix share a domain
  chainmail init --method hybrid --domain contoso.com
google: Google Workspace (MX) with split delivery to a Postfix server
  chainmail init --method google --domain example.org

options:
  --method 1|2|hybrid|google
                      which starter (default 1: the seed's method 1)
  --gateway SPEC      the internet gateway, NAME[:KIND][=HOST] (default "exchange",
                      kind exchange, host mail.DOMAIN)
  --share DOMAIN      method 1: the shared domain
  --with SPEC         method 1: the next system of the chain, NAME[:KIND][=HOST] (kind
                      postfix unless given; repeat it for a longer chain, in order; the
                      last one is authoritative)
  --private DOMAIN    method 1: the gateway's private default space (default: the shared
                      domain with its last label replaced by "local", seed step 1)
  --domain DOMAIN     method 2, hybrid, google: the organisation's own domain (default
                      example.com)
  --remote SPEC       method 2: a remote domain and its smart host, DOMAIN=HOST (repeat it
                      for several)
  --base-dn DN        method 2: where contacts are created (default dc=... of --domain)
  --name TEXT         the file's name: (used in reports)
  --out FILE          write FILE instead of printing to stdout; an existing FILE is kept
                      unless --force
  --force             overwrite an existing --out FILE
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      method: { type: 'string', default: '1' },
      gateway: { type: 'string', default: 'exchange' },
      share: { type: 'string' },
      with: { type: 'string', multiple: true },
      private: { type: 'string' },
      domain: { type: 'string' },
      remote: { type: 'string', multiple: true },
      'base-dn': { type: 'string' },
      name: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
    });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`takes no FILE argument (${JSON.stringify(positionals[0])}); use --out FILE`);
    const out = values.out === undefined ? undefined : resolve(io.cwd, values.out);
    // the modeline points at the installed package's schema, relative to the written file
    const schemaRef = relative(out ? dirname(out) : io.cwd, SCHEMA).split('\\').join('/');
    let options: StarterOptions | CloudStarterOptions;
    try {
      options = values.method === 'hybrid' || values.method === 'google' ? cloudOptions(values, values.method, schemaRef) : starterOptions(values, schemaRef);
    } catch (e) {
      if (e instanceof StarterOptionError) throw new UsageError(e.message);
      throw e;
    }
    const text = 'gateway' in options ? starter(options) : cloudStarter(options);
    if (!out) {
      io.stdout(text);
      return 0;
    }
    try {
      writeFileSync(out, text, { encoding: 'utf8', flag: values.force ? 'w' : 'wx' });
    } catch (e) {
      return writeError(e, values.out ?? out, io);
    }
    io.stdout(`wrote ${values.out}: ${typeof options.method === 'number' ? `a KB 321721 method ${options.method}` : `a ${options.method}`} starter; next: chainmail lint ${values.out}\n`);
    return 0;
  },
};

interface InitValues {
  method?: string;
  gateway?: string;
  share?: string;
  with?: string[];
  private?: string;
  domain?: string;
  remote?: string[];
  'base-dn'?: string;
  name?: string;
}

/** The cloud starters take --domain (and --name) only. */
function cloudOptions(v: InitValues, method: 'hybrid' | 'google', schemaRef: string): CloudStarterOptions {
  if (v.share !== undefined || v.with?.length || v.private !== undefined || v.remote?.length || v['base-dn'] !== undefined) {
    throw new StarterOptionError(`--method ${method} takes --domain and --name only`);
  }
  const domain = checkDomain(v.domain ?? 'example.com', '--domain');
  return { method, domain, schemaRef, ...(v.name !== undefined ? { name: v.name } : {}) };
}

function starterOptions(v: InitValues, schemaRef: string): StarterOptions {
  const name = v.name !== undefined ? { name: v.name } : {};
  if (v.method === '1') {
    if (v.remote?.length) throw new StarterOptionError('--remote is for --method 2; method 1 shares a domain --with other systems');
    if (v.domain !== undefined || v['base-dn'] !== undefined) throw new StarterOptionError('--domain and --base-dn are for --method 2; method 1 takes --share');
    if (v.share === undefined) throw new StarterOptionError('method 1 needs --share DOMAIN, e.g. --share example.com --with unix=[192.168.1.10]');
    if (!v.with?.length) throw new StarterOptionError('method 1 needs at least one --with NAME=HOST, the next system of the chain, e.g. --with unix=[192.168.1.10]');
    const share = checkDomain(v.share, '--share');
    const gateway = parseSystemSpec(v.gateway ?? 'exchange', 'exchange', () => `mail.${share}`);
    const chain = v.with.map((s) => parseSystemSpec(s, 'postfix', (n) => `${n}.${share}`));
    const seen = new Set<string>();
    for (const s of [gateway, ...chain]) {
      if (seen.has(s.name.toLowerCase())) throw new StarterOptionError(`the system ${JSON.stringify(s.name)} is named twice; a chain visits each system once (seed rule 3)`);
      seen.add(s.name.toLowerCase());
    }
    const privateSpace = v.private !== undefined ? checkDomain(v.private, '--private') : privateSpaceFor(share);
    if (privateSpace === share) throw new StarterOptionError(`--private must differ from the shared domain ${JSON.stringify(share)}`);
    return { method: 1, gateway, chain, share, privateSpace, schemaRef, ...name };
  }
  if (v.method === '2') {
    if (v.share !== undefined || v.with?.length || v.private !== undefined) throw new StarterOptionError('--share, --with and --private are for --method 1; method 2 takes --domain and --remote');
    if (!v.remote?.length) throw new StarterOptionError('method 2 needs at least one --remote DOMAIN=HOST, e.g. --remote remote.domain=[10.1.1.1]');
    const domain = checkDomain(v.domain ?? 'example.com', '--domain');
    const gateway = parseSystemSpec(v.gateway ?? 'exchange', 'exchange', () => `mail.${domain}`);
    if (gateway.kind !== 'exchange') throw new StarterOptionError(`method 2 needs an Exchange gateway (contacts live in its directory), not kind ${JSON.stringify(gateway.kind)}`);
    const remotes = v.remote.map(parseRemoteSpec);
    for (const r of remotes) {
      if (r.domain === domain) throw new StarterOptionError(`--remote ${JSON.stringify(r.domain)} is the own --domain; a remote domain is hosted elsewhere`);
    }
    if (new Set(remotes.map((r) => r.domain)).size !== remotes.length) throw new StarterOptionError('a --remote domain is given twice');
    return { method: 2, gateway, domain, remotes, baseDn: v['base-dn'] ?? baseDnFor(domain), schemaRef, ...name };
  }
  throw new StarterOptionError(`--method ${JSON.stringify(v.method)}: use 1 (a shared domain), 2 (contacts), hybrid (Exchange Online) or google (Google Workspace)`);
}

function writeError(e: unknown, file: string, io: CliIo): number {
  const code = (e as { code?: string }).code;
  const why =
    code === 'EEXIST'
      ? 'exists; use --force to overwrite it, or another --out'
      : code === 'ENOENT'
        ? 'cannot be created: its folder does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be written: permission denied'
          : code === 'EISDIR'
            ? 'is a folder; name a file'
            : `cannot be written (${code ?? String(e)})`;
  io.stderr(`chainmail init: ${file} ${why}\n`);
  return 2;
}
