import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, stringify } from 'yaml';
import { lint, type LintResult } from '../../../src/analyze/lint.js';
import { compile, CompileError, TARGET_IDS } from '../../../src/compile/compile.js';
import type { OutputFile } from '../../../src/compile/output.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import type { Model } from '../../../src/model/model.js';
import { loadModel, type LoadedModel } from '../../../src/pipeline.js';

/**
 * One organisation in which every string field of the file format reaches an artifact:
 * KB 321721 method 1 (Exchange shares example.com with a Postfix server) and method 2 (a
 * contact on xo.one forwards to remote.domain), with an extra domain on the Postfix system.
 * The hardening tests put a hostile value into one or more fields and check each artifact.
 */
export const BASE_YAML = `version: 1
name: xo.one mail
directory:
  baseDn: dc=xo,dc=one
domains:
  xo.one: { description: the Exchange organisation's own space }
  example.com: { description: shared with the UNIX server }
  remote.domain: { remote: true }
  extra.example: {}
systems:
  exchange:
    kind: exchange
    host: mail.xo.one
    gateway: true
    forwardUnresolvedTo: null
    mailboxes: [administrator@xo.one, alice@example.com]
  unix:
    kind: postfix
    host: "[192.168.1.10]"
    localTransport: "local:"
    mailboxes:
      - carol@example.com
      - { address: dave@example.com, aliases: [david@example.com] }
      - erin@extra.example
policies:
  - name: Default Policy
    system: exchange
    default: true
    addresses:
      - { space: "@xo.one", primary: true, authoritative: true }
  - name: Shared example.com
    system: exchange
    filter: "(mailnickname=*)"
    addresses:
      - { space: "@example.com", primary: true, authoritative: false }
  - name: remote.domain
    system: exchange
    filter: null
    addresses:
      - { space: "@remote.domain", authoritative: false }
  - name: UNIX domains
    system: unix
    addresses:
      - { space: "@example.com", primary: true, authoritative: true }
      - { space: "@extra.example", authoritative: true }
connectors:
  - name: To UNIX
    system: exchange
    addressSpaces: [example.com]
    to: unix
    allowRelay: true
  - name: To remote.domain
    system: exchange
    addressSpaces: [remote.domain]
    smartHosts: ["[192.0.2.25]"]
    allowRelay: true
chains:
  - name: example.com shared
    domains: [example.com]
    order: [exchange, unix]
contacts:
  - cn: Internet User
    ou: internet users
    givenName: Internet
    sn: User
    displayName: Internet User
    mailNickname: internetuser
    targetAddress: internetUser@remote.domain
    proxyAddresses: [internetuser@xo.one]
  - cn: Doe, John
    ou: internet users
    givenName: John
    sn: Doe
    displayName: Doe, John
    mailNickname: john.doe
    targetAddress: John.Doe@remote.domain
    proxyAddresses: [john.doe@xo.one]
`;

/** The parsed base document; a fresh copy each call. */
export type Cfg = any; // eslint-disable-line @typescript-eslint/no-explicit-any
export function baseConfig(): Cfg {
  return parse(BASE_YAML);
}

/** How a field's value is interpreted, which decides the generator and the oracle. */
export type FieldKind = 'text' | 'local' | 'domain' | 'host' | 'transport' | 'dn' | 'ou';

export interface Field {
  readonly name: string;
  readonly kind: FieldKind;
  /** The value in the base document. */
  readonly base: string;
  set(c: Cfg, value: string): void;
  get(c: Cfg): unknown;
}

const field = (name: string, kind: FieldKind, base: string, set: (c: Cfg, v: string) => void, get: (c: Cfg) => unknown): Field => ({ name, kind, base, set, get });

/** Every string field of the format that reaches an artifact, with its place in the base organisation. */
export const FIELDS: readonly Field[] = [
  field('name', 'text', 'xo.one mail', (c, v) => (c.name = v), (c) => c.name),
  field('domain description', 'text', 'shared with the UNIX server', (c, v) => (c.domains['example.com'].description = v), (c) => c.domains['example.com'].description),
  field('policy name', 'text', 'Shared example.com', (c, v) => (c.policies[1].name = v), (c) => c.policies[1].name),
  field('policy filter', 'text', '(mailnickname=*)', (c, v) => (c.policies[1].filter = v), (c) => c.policies[1].filter),
  field('connector name', 'text', 'To remote.domain', (c, v) => (c.connectors[1].name = v), (c) => c.connectors[1].name),
  field('chain name', 'text', 'example.com shared', (c, v) => (c.chains[0].name = v), (c) => c.chains[0].name),
  field('cn', 'text', 'Internet User', (c, v) => (c.contacts[0].cn = v), (c) => c.contacts[0].cn),
  field('ou', 'ou', 'internet users', (c, v) => (c.contacts[0].ou = v), (c) => c.contacts[0].ou),
  field('givenName', 'text', 'Internet', (c, v) => (c.contacts[0].givenName = v), (c) => c.contacts[0].givenName),
  field('sn', 'text', 'User', (c, v) => (c.contacts[0].sn = v), (c) => c.contacts[0].sn),
  field('displayName', 'text', 'Internet User', (c, v) => (c.contacts[0].displayName = v), (c) => c.contacts[0].displayName),
  field('mailNickname', 'text', 'internetuser', (c, v) => (c.contacts[0].mailNickname = v), (c) => c.contacts[0].mailNickname),
  field('targetAddress local part', 'local', 'internetUser', (c, v) => (c.contacts[0].targetAddress = `${v}@remote.domain`), (c) => c.contacts[0].targetAddress),
  field('proxyAddress local part', 'local', 'internetuser', (c, v) => (c.contacts[0].proxyAddresses = [`${v}@xo.one`]), (c) => c.contacts[0].proxyAddresses[0]),
  field('mailbox local part', 'local', 'carol', (c, v) => (c.systems.unix.mailboxes[0] = `${v}@example.com`), (c) => c.systems.unix.mailboxes[0]),
  field('alias local part', 'local', 'david', (c, v) => (c.systems.unix.mailboxes[1].aliases = [`${v}@example.com`]), (c) => c.systems.unix.mailboxes[1].aliases[0]),
  field('localTransport', 'transport', 'local:', (c, v) => (c.systems.unix.localTransport = v), (c) => c.systems.unix.localTransport),
  field('smart host', 'host', '[192.0.2.25]', (c, v) => (c.connectors[1].smartHosts = [v]), (c) => c.connectors[1].smartHosts[0]),
  field('system host', 'host', '[192.168.1.10]', (c, v) => (c.systems.unix.host = v), (c) => c.systems.unix.host),
  field('domain', 'domain', 'extra.example', setDomain, (c) => Object.keys(c.domains)[3]),
  field('baseDn', 'dn', 'dc=xo,dc=one', (c, v) => (c.directory.baseDn = v), (c) => c.directory.baseDn),
];

/** Renames extra.example everywhere it is used: the declaration, the policy space, the mailbox. */
function setDomain(c: Cfg, v: string): void {
  const entries = Object.entries(c.domains as Record<string, unknown>).map(([k, d]) => [k === 'extra.example' ? v : k, d] as const);
  c.domains = Object.fromEntries(entries);
  c.policies[3].addresses[1].space = `@${v}`;
  c.systems.unix.mailboxes[2] = `erin@${v}`;
}

export function fieldByName(name: string): Field {
  const f = FIELDS.find((x) => x.name === name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
}

/** The rules that refuse a value as input: the value never reaches a build. */
export const REFUSING_RULES = new Set(['yaml-syntax', 'schema', 'invalid-address']);

export interface Loaded {
  readonly yaml: string;
  readonly loaded: LoadedModel;
  readonly result: LintResult;
  /** The error findings of the refusing rules (empty: the input was accepted). */
  readonly refusals: readonly Diagnostic[];
  readonly model?: Model;
}

let tmpRoot: string | undefined;
let count = 0;

function tmp(): string {
  tmpRoot ??= mkdtempSync(join(tmpdir(), 'chainmail-hardening-'));
  const dir = join(tmpRoot, String(count++));
  mkdirSync(dir);
  return dir;
}

/** Removes the temporary directories (call from afterAll). */
export function cleanup(): void {
  if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  tmpRoot = undefined;
}

/**
 * Writes the configuration as YAML (the `yaml` package quotes and escapes any string),
 * checks that the YAML reads back to the same values, loads and lints it.
 */
export function loadConfig(c: Cfg): Loaded {
  const yaml = stringify(c, { lineWidth: 0 });
  const dir = tmp();
  const file = join(dir, 'chainmail.yaml');
  writeFileSync(file, yaml);
  // the YAML writer must not be the weak link: the text reads back to exactly these values
  if (!isDeepStrictEqual(parse(yaml), c)) throw new Error(`the yaml package does not round-trip ${JSON.stringify(c)}`);
  const loaded = loadModel(file, { cwd: dir });
  const result = lint(loaded);
  const refusals = result.diagnostics.filter((d) => d.severity === 'error' && REFUSING_RULES.has(d.ruleId));
  return { yaml, loaded, result, refusals, ...(loaded.model ? { model: loaded.model } : {}) };
}

/** The base organisation with `values` put into the named fields. */
export function withValues(values: Readonly<Record<string, string>>): Cfg {
  const c = baseConfig();
  for (const [name, v] of Object.entries(values)) fieldByName(name).set(c, v);
  return c;
}

/** The artifacts of a model: every target, with Postfix files for the Exchange system too (its contacts' virtual map). */
export interface Built {
  readonly files: readonly OutputFile[];
  /**
   * Set when the Postfix target refused the model (a value no postmap file can hold, such as
   * a quoted local part): `files` then holds the other targets' artifacts.
   */
  readonly postfixRefused?: CompileError;
}

export function build(model: Model): Built {
  try {
    return { files: compile(model, { postfixFor: ['exchange'] }) };
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    // build each target alone: the ones that refuse the model (with a clear error) are left out
    const files: OutputFile[] = [];
    let postfixRefused: CompileError | undefined;
    for (const t of TARGET_IDS) {
      try {
        files.push(...compile(model, { targets: [t], postfixFor: ['exchange'] }));
      } catch (err) {
        if (!(err instanceof CompileError)) throw err;
        if (t === 'postfix') postfixRefused = err;
      }
    }
    return { files, ...(postfixRefused ? { postfixRefused } : {}) };
  }
}
