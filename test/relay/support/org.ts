import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compileRoutingTables } from '../../../src/routing/compile.js';
import { compileRoutes } from '../../../src/compile/targets/routes/routes.js';
import type { RoutingTable } from '../../../src/routing/table.js';
import { loadModel } from '../../../src/pipeline.js';
import { startRelayWith } from '../../../src/relay/relay.js';
import { mailboxFolder } from '../../../src/relay/spool/maildir.js';
import type { RelayEvent, RelayOptions } from '../../../src/relay/types.js';
import { Simulator } from '../../../src/route/simulate.js';
import { freePort } from '../../support/tools.js';

/** A chainmail file compiled into routes.json files in a temporary directory. */
export interface Org {
  readonly dir: string;
  readonly tables: Map<string, RoutingTable>;
  readonly simulator: Simulator;
  /** DIR/<system>/routes.json */
  routes(system: string): string;
  /** Rewrites the YAML and the routes.json files (for reload tests). */
  rewrite(yaml: string): void;
  cleanup(): void;
}

/** Writes `yaml` as chainmail.yaml in a fresh temp dir and compiles the routes target. */
export function makeOrg(yaml: string, dir = mkdtempSync(join(tmpdir(), 'chainmail-relay-'))): Org {
  const compile = (text: string): Map<string, RoutingTable> => {
    const file = join(dir, 'chainmail.yaml');
    writeFileSync(file, text);
    const loaded = loadModel(file, { cwd: dir });
    if (!loaded.model) throw new Error(`test org does not load: ${loaded.fatal ?? JSON.stringify(loaded.findings)}`);
    for (const out of compileRoutes(loaded.model)) {
      const path = join(dir, 'out', out.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, out.content);
    }
    return compileRoutingTables(loaded.model);
  };
  let tables = compile(yaml);
  return {
    dir,
    get tables() {
      return tables;
    },
    get simulator() {
      return new Simulator(tables);
    },
    routes: (system) => join(dir, 'out', system, 'routes.json'),
    rewrite(text) {
      tables = compile(text);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A relay started for a test, with its events. */
export type TestRelay = Awaited<ReturnType<typeof startRelayWith>> & {
  readonly events: RelayEvent[];
  readonly spoolDir: string;
  readonly system: string;
};

/** Fast retries so deferral and DSN paths finish within a test. */
export const FAST_RETRY = { minBackoff: 200, maxBackoff: 1000, queueLifetime: 4000 } as const;

/** Starts the relay of one system of `org` on the port its table names. */
export async function startSystem(org: Org, system: string, extra: Partial<RelayOptions> & Record<string, unknown> = {}): Promise<TestRelay> {
  const table = org.tables.get(system);
  if (!table) throw new Error(`no system ${system}`);
  const events: RelayEvent[] = [];
  const spoolDir = join(org.dir, `spool-${system}`);
  const relay = await startRelayWith({
    routes: org.routes(system),
    listen: { host: '127.0.0.1', port: table.port },
    spool: spoolDir,
    hostname: `${system}.relay.test`,
    greetingDelay: 0,
    log: (e) => events.push(e),
    retry: FAST_RETRY,
    stopTimeout: 5000,
    ...extra,
  });
  return Object.assign(relay, { events, spoolDir, system });
}

/** The files delivered to a mailbox (new/ and cur/), oldest name first. */
export function maildir(spoolDir: string, mailbox: string): Buffer[] {
  const dir = join(spoolDir, 'mailboxes', mailboxFolder(mailbox));
  const out: Buffer[] = [];
  for (const sub of ['new', 'cur']) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) out.push(readFileSync(join(d, f)));
  }
  return out;
}

/**
 * Polls until `check` returns a value other than undefined/false (or throws after `timeout`).
 * With `progress`, the timeout runs from the last change of `progress()`: a wait for work
 * that advances (messages arriving one by one) fails only when it stalls, not because a
 * loaded machine is slow.
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeout = 60_000,
  what: string | (() => string) = 'condition',
  progress?: () => unknown,
): Promise<T> {
  let end = Date.now() + timeout;
  let last = progress?.();
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    const now = progress?.();
    if (now !== last) {
      last = now;
      end = Date.now() + timeout;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}${progress ? ` (no progress for ${timeout} ms)` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A simple RFC 5322 message with CRLF line ends. */
export function message(subject: string, body = 'hello\r\n', extraHeaders: readonly string[] = []): Buffer {
  return Buffer.from(
    [`From: sender@outside.test`, `To: someone@example.test`, `Subject: ${subject}`, `Message-ID: <${subject.replace(/\W/g, '')}@client.test>`, ...extraHeaders, '', ''].join('\r\n') + body,
    'utf8',
  );
}

/** Splits a delivered file into its Return-Path, our Received: field and the rest. */
export function splitDelivered(file: Buffer): { returnPath: string; received: string; rest: Buffer } {
  const text = file.toString('latin1');
  const rp = /^Return-Path: <[^\r\n]*>\r\n/.exec(text);
  if (!rp) throw new Error(`no Return-Path: ${text.slice(0, 200)}`);
  const after = text.slice(rp[0].length);
  const rc = /^Received: [^\r\n]*(?:\r\n[ \t][^\r\n]*)*\r\n/.exec(after);
  if (!rc) throw new Error(`no Received: ${after.slice(0, 200)}`);
  return { returnPath: rp[0], received: rc[0], rest: file.subarray(Buffer.byteLength(rp[0] + rc[0], 'latin1')) };
}

/**
 * The gateway organisation of the relay and hardening tests: `gw` (a relay on gwPort) owns
 * example.test with `mailboxes`, and passes any.test on to `inner` (a sink on innerPort).
 */
export function gatewayYaml(name: string, gwPort: number, innerPort: number, mailboxes = '[alice@example.test, { address: bob@example.test, aliases: [robert@example.test] }]'): string {
  return `
version: 1
name: ${name}
domains:
  example.test: {}
  any.test: {}
systems:
  gw:
    kind: relay
    host: "[127.0.0.1]:${gwPort}"
    gateway: true
    mailboxes: ${mailboxes}
  inner: { kind: other, host: "[127.0.0.1]:${innerPort}" }
policies:
  - { name: gw, system: gw, addresses: [{ space: "@example.test", primary: true, authoritative: true }, { space: "@any.test", authoritative: false }] }
  - { name: inner, system: inner, addresses: [{ space: "@any.test", primary: true, authoritative: true }] }
connectors:
  - { name: to inner, system: gw, addressSpaces: [any.test], to: inner, allowRelay: true }
`;
}

/**
 * A one-system organisation: `gw`, a relay gateway on `port` that is authoritative for each of
 * `domains` (the first one primary) and holds `mailboxes` (YAML list items, flow style allowed).
 */
export function localGatewayYaml(name: string, port: number, domains: readonly string[], mailboxes: readonly string[]): string {
  return `
version: 1
name: ${name}
domains:
${domains.map((d) => `  ${d}: {}`).join('\n')}
systems:
  gw:
    kind: relay
    host: "[127.0.0.1]:${port}"
    gateway: true
    mailboxes:
${mailboxes.map((m) => `      - ${m}`).join('\n')}
policies:
  - name: local
    system: gw
    addresses:
${domains.map((d, i) => `      - { space: "@${d}",${i === 0 ? ' primary: true,' : ''} authoritative: true }`).join('\n')}
`;
}

/** Compiles localGatewayYaml on a free port and starts its gateway. */
export async function startLocalGateway(name: string, domains: readonly string[], mailboxes: readonly string[]): Promise<{ org: Org; gw: TestRelay }> {
  const org = makeOrg(localGatewayYaml(name, await freePort(), domains, mailboxes));
  return { org, gw: await startSystem(org, 'gw') };
}
