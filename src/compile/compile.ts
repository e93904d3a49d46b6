import type { Model } from '../model/model.js';
import { MANIFEST } from './emit.js';
import type { OutputFile } from './output.js';
import { compileCloud } from './targets/cloud/cloud.js';
import { compileCsv } from './targets/csv/csv.js';
import { compileDns } from './targets/dns/dns.js';
import { compileExchange } from './targets/exchange/exchange.js';
import { compileLdif } from './targets/ldif/ldif.js';
import { compilePostfix, type MapType } from './targets/postfix/postfix.js';
import { compileRoutes } from './targets/routes/routes.js';

export type { MapType } from './targets/postfix/postfix.js';
export type { OutputFile } from './output.js';

/** Options of {@link compile}. @public */
export interface CompileOptions {
  /** The targets to build (default: all). */
  readonly targets?: readonly TargetId[];
  /** Where the Postfix maps are deployed; main.cf points there. Default /etc/postfix/chainmail. */
  readonly postfixDir?: string;
  /** Postfix map type: hash (default) or lmdb. */
  readonly mapType?: MapType;
  /** LDIF: create the organisational units of the contacts first. */
  readonly withOus?: boolean;
  /** Systems that get Postfix files although they are not of kind postfix. */
  readonly postfixFor?: readonly string[];
  /** chainmail's version, for the generated headers that a target writes itself. */
  readonly version?: string;
}

/** One compile target: a pure function from the model to files (no I/O, no clock). @public */
export interface Target {
  readonly description: string;
  /** Problems that make an artifact impossible to write correctly go to `problems`. */
  compile(model: Model, options: CompileOptions, problems: string[]): OutputFile[];
}

/**
 * Every compile target, by id (sorted).
 *
 * @public
 */
export const targets = {
  cloud: { description: '<system>/exchange-online/setup-exo.ps1 and <system>/google-workspace/runbook.md for the cloud systems', compile: (m) => compileCloud(m) },
  csv: { description: 'contacts/contacts.csv: the contacts as a csvde import file', compile: (m, _o, problems) => compileCsv(m, problems) },
  dns: { description: 'dns/{bind/*.zone,octodns/*.yaml,dnscontrol/chainmail.js}: MX, SPF and DMARC of each published domain', compile: (m, _o, p) => compileDns(m, p) },
  exchange: { description: '<system>/exchange/{runbook.md,setup.ps1} for every Exchange system', compile: (m) => compileExchange(m) },
  ldif: {
    description: 'contacts/contacts.ldif: the contacts as an LDIF change file (ldifde, ldapadd)',
    compile: (m, o) => compileLdif(m, { ...(o.version !== undefined ? { version: o.version } : {}), ...(o.withOus ? { withOus: true } : {}) }),
  },
  postfix: { description: '<system>/postfix/{main.cf,relay_domains,relay_recipients,transport,virtual}', compile: (m, o, p) => compilePostfix(m, o, p) },
  routes: { description: '<system>/routes.json: the routing table of the relay and the simulator', compile: (m) => compileRoutes(m) },
} as const satisfies Record<string, Target>;

/** The id of a compile target (`--target`), e.g. `postfix`. @public */
export type TargetId = keyof typeof targets;

/** The target ids, sorted. @public */
export const TARGET_IDS: readonly TargetId[] = (Object.keys(targets) as TargetId[]).sort();

export function isTargetId(s: string): s is TargetId {
  return Object.hasOwn(targets, s);
}

/** The model cannot be compiled into correct artifacts; `problems` says why (one line each). @public */
export class CompileError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? (problems[0] ?? '') : `${problems.length} problems: ${problems.join('; ')}`);
    this.name = 'CompileError';
    this.problems = problems;
  }
}

/**
 * Compiles the model into artifacts, sorted by path. Pure: the same model and options give
 * the same files. Throws {@link CompileError} when a target cannot write a correct artifact
 * (e.g. an address that no Postfix table can hold) or two files would collide.
 * @public
 */
export function compile(model: Model, options: CompileOptions = {}): OutputFile[] {
  const ids = [...new Set(options.targets ?? TARGET_IDS)].sort();
  const problems: string[] = [];
  const files: OutputFile[] = [];
  for (const id of ids) {
    const target: Target | undefined = Object.hasOwn(targets, id) ? targets[id] : undefined;
    if (!target) problems.push(`unknown target ${JSON.stringify(id)}; use one of ${TARGET_IDS.join(', ')}`);
    else files.push(...target.compile(model, options, problems));
  }
  problems.push(...pathProblems(files));
  if (problems.length > 0) throw new CompileError([...new Set(problems)]);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Paths must be relative, inside the output directory, unique, and not a directory of another. */
function pathProblems(files: readonly OutputFile[]): string[] {
  const problems: string[] = [];
  const paths = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/');
    if (f.path.startsWith('/') || f.path.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..')) {
      problems.push(`artifact path ${JSON.stringify(f.path)} is not a plain relative path`);
    }
    if (paths.has(f.path)) problems.push(`two artifacts would be written to ${JSON.stringify(f.path)}`);
    if (parts[0] === MANIFEST) problems.push(`artifact ${JSON.stringify(f.path)} would collide with ${MANIFEST} (rename the system ${JSON.stringify(MANIFEST)})`);
    paths.add(f.path);
  }
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (paths.has(dir)) problems.push(`artifact ${JSON.stringify(dir)} would also be the directory of ${JSON.stringify(p)}`);
    }
  }
  return problems;
}
