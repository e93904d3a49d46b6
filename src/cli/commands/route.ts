import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { compileRoutingTables } from '../../routing/compile.js';
import type { RoutingTable } from '../../routing/table.js';
import { Simulator, type Hop, type Route } from '../../route/simulate.js';
import { didYouMean } from '../../validate/did-you-mean.js';
import { ALLOW_PATH_HELP, ALLOW_PATH_OPTION } from '../allow-path.js';
import { parse, type Command } from '../command.js';
import { UsageError, useColor, type CliIo } from '../io.js';
import { progress } from '../progress.js';
import { bothForms, loadRoutable } from '../routable.js';
import { loadRoutesDir } from '../routes-dir.js';
import { SYNOPSES } from './synopses.js';

/** Routes written per stdout call: output streams for 100,000 recipients. */
const CHUNK = 500;

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
    if (values.recipients !== undefined) {
      const listed = await readRecipients(values.recipients, io);
      if (listed === undefined) return 2;
      if (listed.length === 0 && addresses.length === 0) io.stderr(`chainmail route: no addresses in ${values.recipients}\n`);
      // not push(...listed): a million arguments overflow the call stack
      for (const a of listed) addresses.push(a);
    }
    const simulator = new Simulator(tables);
    // progress on stderr only while stdout goes elsewhere (a file, a pipe): src/cli/progress.ts
    const bar = progress(io, 'chainmail route', { quiet: io.isTTY });
    const routes = (function* () {
      let n = 0;
      for (const a of addresses) {
        yield simulator.route(a, from);
        bar.update(++n, addresses.length);
      }
    })();
    try {
      if (values.json) writeJson(routes, io);
      else writeText(routes, io, useColor(io));
    } finally {
      bar.done();
    }
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

/** Reads --recipients: one address a line; "#" comments; blank lines skipped; "-" is stdin. */
async function readRecipients(path: string, io: CliIo): Promise<string[] | undefined> {
  let text: string;
  if (path === '-') {
    if (!io.readStdin) throw new UsageError('--recipients - needs standard input');
    text = await io.readStdin();
  } else {
    try {
      text = readFileSync(resolvePath(io.cwd, path), 'utf8');
    } catch (e) {
      io.stderr(`chainmail route: cannot read --recipients ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the path\n`);
      return undefined;
    }
  }
  return parseRecipients(text);
}

/**
 * Addresses of a recipients list. "#" starts a comment only at the start of a line or
 * after a space: "#" is legal inside a local part (RFC 5322 atext).
 */
export function parseRecipients(text: string): string[] {
  const out: string[] = [];
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    const hash = line.includes('#') ? line.search(/(^|\s)#/) : -1;
    if (hash !== -1) line = line.slice(0, hash);
    line = line.trim();
    if (line.startsWith('<') && line.endsWith('>')) line = line.slice(1, -1).trim();
    if (line) out.push(line);
  }
  return out;
}

/** The route in the shape of spec section 3 (hops also carry address and nextSystem). */
export function routeJson(r: Route): Record<string, unknown> {
  return {
    recipient: r.recipient,
    from: r.from,
    hops: r.hops.map((h) => ({
      system: h.system,
      decision: h.decision,
      reason: h.reason,
      ...(h.nextHop !== undefined ? { nextHop: h.nextHop } : {}),
      address: h.address,
      ...(h.nextSystem !== undefined ? { nextSystem: h.nextSystem } : {}),
    })),
    outcome: r.outcome,
    ...(r.cycle ? { cycle: r.cycle } : {}),
  };
}

/**
 * Streams `{ "version": 1, "routes": [...] }`, byte for byte what JSON.stringify(doc,
 * null, 2) would print, without holding every route in memory: each chunk of routes is
 * printed by one JSON.stringify of such a document, whose routes are cut out of it.
 */
function writeJson(routes: Iterable<Route>, io: CliIo): void {
  const head = '{\n  "version": 1,\n  "routes": [\n';
  const tail = '\n  ]\n}';
  let chunk: Record<string, unknown>[] = [];
  let n = 0;
  const flush = (): void => {
    const doc = JSON.stringify({ version: 1, routes: chunk }, null, 2);
    io.stdout(`${n === chunk.length ? head : ',\n'}${doc.slice(head.length, doc.length - tail.length)}`);
    chunk = [];
  };
  for (const r of routes) {
    chunk.push(routeJson(r));
    if (++n % CHUNK === 0) flush();
  }
  if (chunk.length > 0) flush();
  io.stdout(n === 0 ? '{\n  "version": 1,\n  "routes": []\n}\n' : '\n  ]\n}\n');
}

function writeText(routes: Iterable<Route>, io: CliIo, color: boolean): void {
  let buf: string[] = [];
  for (const r of routes) {
    buf.push(routeText(r, color));
    if (buf.length === CHUNK) {
      io.stdout(buf.join(''));
      buf = [];
    }
  }
  if (buf.length > 0) io.stdout(buf.join(''));
}

const C = { green: '\u001b[32m', red: '\u001b[31m', yellow: '\u001b[33m', cyan: '\u001b[36m', bold: '\u001b[1m', dim: '\u001b[2m', reset: '\u001b[0m' };

/** One recipient as text: a header, one line per hop, then the outcome (exim -bt style). */
export function routeText(r: Route, color = false): string {
  // lines joined into one flat string: appending to a string builds a rope, and a chunk of
  // 500 ropes made every young-generation GC ten times as slow (--trace-gc)
  const lines = [paint(color, C.bold, bothForms(r.recipient)) + (r.from === 'internet' ? '' : paint(color, C.dim, ` (from ${r.from})`))];
  let sw = 0;
  let dw = 0;
  for (const h of r.hops) {
    if (h.system.length > sw) sw = h.system.length;
    if (h.decision.length > dw) dw = h.decision.length;
  }
  let current = r.recipient;
  for (const h of collapseRepeats(r.hops)) {
    if ('repeated' in h) {
      lines.push(paint(color, C.dim, `  ... ${h.repeated} more hops round the same cycle (${h.cycle.join(' -> ')})`));
      continue;
    }
    let reason = h.reason;
    if (h.address !== current) {
      reason = `${bothForms(h.address)}: ${reason}`;
      current = h.address;
    }
    const next = h.nextHop !== undefined ? ` -> ${h.nextHop}${h.nextSystem !== undefined ? ` (${h.nextSystem})` : ''}` : '';
    lines.push(`  ${h.system.padEnd(sw)}  ${h.decision.padEnd(dw)}  ${reason}${paint(color, C.cyan, next)}`);
  }
  lines.push(`  ${outcomeText(r, color)}`, '', '');
  return lines.join('\n');
}

function paint(color: boolean, code: string, s: string): string {
  return color ? `${code}${s}${C.reset}` : s;
}

/**
 * A loop walked to the hop limit repeats the same hops many times: text output shows the
 * cycle once and counts the rest (--json keeps every hop).
 */
function collapseRepeats(hops: readonly Hop[]): readonly (Hop | { repeated: number; cycle: string[] })[] {
  // a repeat needs a system twice (the signature starts with it); most routes pass each
  // system once, and need no signature strings (nor a copy) at all (100,000 routes)
  if (!systemRepeats(hops)) return hops;
  const sig = (h: Hop | undefined): string => (h ? `${h.system}\u0000${h.decision}\u0000${h.address}\u0000${h.reason}\u0000${h.nextHop ?? ''}` : '');
  const first = new Map<string, number>();
  for (let j = 0; j < hops.length; j++) {
    const s = sig(hops[j]);
    const i = first.get(s);
    if (i === undefined) {
      first.set(s, j);
      continue;
    }
    const period = j - i;
    let k = j;
    while (k < hops.length && sig(hops[k]) === sig(hops[k - period])) k++;
    if (k - j < 2) return [...hops];
    const cycle = [...hops.slice(i, j).map((h) => h.system), hops[j]?.system ?? ''];
    return [...hops.slice(0, j), { repeated: k - j, cycle }, ...hops.slice(k)];
  }
  return [...hops];
}

function systemRepeats(hops: readonly Hop[]): boolean {
  // equal signatures need the same system, decision and address (a contact's rewrite and
  // its forward pass one system twice, but as two decisions: no signature built for them);
  // an address with a NUL could make two different hops' signatures equal, so it counts
  for (let i = 1; i < hops.length; i++) {
    const a = hops[i] as Hop;
    for (let j = 0; j < i; j++) {
      const b = hops[j] as Hop;
      if (a.system === b.system && a.decision === b.decision && (a.address === b.address || a.address.includes('\u0000') || b.address.includes('\u0000'))) return true;
    }
  }
  return false;
}

function outcomeText(r: Route, color: boolean): string {
  const o = r.outcome;
  const code = `${o.code !== undefined ? `${o.code} ` : ''}${o.status ?? ''}`.trim();
  switch (o.kind) {
    case 'delivered':
      return paint(color, C.green, `=> delivered by ${o.system ?? '?'}${o.mailbox ? ` to mailbox ${bothForms(o.mailbox)}` : ''}`);
    case 'external':
      return paint(color, C.cyan, `=> external: leaves the organisation for ${o.host ?? '?'}`);
    case 'refused':
      if (r.hops.length === 0) return paint(color, C.red, `=> refused: no system of the file is a gateway (gateway: true) to receive it: ${code}`);
      return paint(color, C.red, `=> refused by ${o.system ?? '?'}: ${code}`) + paint(color, C.dim, ' (at RCPT: the client sees it, no NDR)');
    case 'bounced': {
      // the system that forwarded it last accepted the message and returns the NDR
      const before = r.hops.findLast((h) => h.decision === 'forward')?.system;
      return paint(color, C.red, `=> bounced by ${o.system ?? '?'}: ${code}`) + paint(color, C.dim, before ? ` (${before} returns the NDR to the sender)` : '');
    }
    case 'looped':
      return paint(color, C.yellow, `=> looped at ${o.system ?? '?'}: ${code}`) + (r.cycle ? paint(color, C.dim, ` (cycle: ${r.cycle.join(' -> ')})`) : '');
  }
}
