import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { lint } from '../../src/analyze/lint.js';
import { compileRoutingTables } from '../../src/routing/compile.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import type { Model } from '../../src/model/model.js';
import type { RoutingTable } from '../../src/routing/table.js';
import { recipientKey, resolve, type Origin } from '../../src/routing/resolve.js';
import { Simulator, type Route } from '../../src/route/simulate.js';
import { DOMAINS, OrgFiles, orgConfig, orgSpec } from './org-arbitrary.js';

/**
 * Properties of the routing engine and the routing rules over random organisations
 * (org-arbitrary.ts), each file written to disk and loaded through loadModel as a user's
 * would be. Runs are bounded so the suite stays fast.
 */
/** CHAINMAIL_PROPERTY_RUNS raises the runs for a longer hunt (the default keeps the suite fast). */
const RUNS = Number(process.env['CHAINMAIL_PROPERTY_RUNS'] ?? 200);
const files = new OrgFiles();
/** Wild organisations, and tame ones (chains built the seed's way) for variety. */
const anyOrg = fc.oneof(orgSpec(), orgSpec({ tame: true }));
afterAll(() => files.remove());

interface Org {
  readonly text: string;
  readonly model: Model;
  readonly tables: ReadonlyMap<string, RoutingTable>;
  readonly simulator: Simulator;
  readonly diagnostics: readonly Diagnostic[];
}

function load(config: Record<string, unknown>): Org {
  const loaded = files.load(config);
  if (!loaded.model) throw new Error(`generated file did not load: ${JSON.stringify(loaded.findings)}\n${loaded.text}`);
  const schema = loaded.findings.filter((f) => f.ruleId === 'schema' || f.ruleId === 'yaml-syntax');
  if (schema.length > 0) throw new Error(`generated file does not fit the schema: ${JSON.stringify(schema)}\n${loaded.text}`);
  const tables = compileRoutingTables(loaded.model);
  return { text: loaded.text, model: loaded.model, tables, simulator: new Simulator(tables), diagnostics: lint(loaded).diagnostics };
}

/** Every address worth routing: everything the tables name, an unknown one per domain, a foreign one. */
function addresses(org: Org): string[] {
  const out = new Set<string>();
  for (const t of org.tables.values()) {
    for (const [k, e] of Object.entries(t.recipients)) {
      out.add(k);
      if (e.action === 'rewrite') out.add(e.to);
    }
    for (const k of t.knownRecipients) out.add(k);
  }
  for (const d of [...DOMAINS, 'outside.example', 'foreign.example']) out.add(`nobody@${d}`);
  return [...out].sort();
}

function entries(org: Org): string[] {
  return ['internet', ...org.tables.keys()];
}

/** Every (address, entry) route of the file. */
function routes(org: Org, detectCycles: boolean): Route[] {
  const out: Route[] = [];
  for (const a of addresses(org)) for (const from of entries(org)) out.push(org.simulator.route(a, from, { detectCycles }));
  return out;
}

/**
 * An independent oracle for cycles: walks one recipient with resolve() from any system and
 * origin (the simulator enters internet mail only at the gateway that accepts the domain),
 * ignoring hop limits, until a (system, origin, address) state repeats or the route ends.
 */
function oracleLoops(org: Org, address: string, system: string, origin: Origin): boolean {
  return oracleRoute(org, address, system, origin).kind === 'cycle';
}

/**
 * The oracle's route: a cycle, or the end with the system whose hop limit stops it (if
 * one does: a system stops a message whose Received: count reaches its hopLimit).
 */
function oracleRoute(org: Org, address: string, system: string, origin: Origin): { kind: 'cycle' } | { kind: 'end'; stoppedAt?: string } {
  const seen = new Set<string>();
  let table = org.tables.get(system);
  let addr = address;
  let o = origin;
  let received = 0;
  let stoppedAt: string | undefined;
  while (table) {
    const key = `${table.system} ${o === 'local' ? 'local' : 'peer'} ${recipientKey(addr)?.key ?? addr}`;
    if (seen.has(key)) return { kind: 'cycle' };
    seen.add(key);
    if (stoppedAt === undefined && received >= table.hopLimit) stoppedAt = table.system;
    const d = resolve(table, addr, { origin: o, received: 0 });
    if (d.kind === 'rewrite') {
      // docs/routing.md: a contact's target is routed as the system's own mail (origin local),
      // the relay check having been made once, at RCPT, on the original recipient
      addr = d.to;
      o = 'local';
    }
    else if (d.kind === 'forward' && d.nextHop.system !== undefined && org.tables.has(d.nextHop.system)) {
      if (d.nextHop.system === table.system) return { kind: 'cycle' };
      table = org.tables.get(d.nextHop.system);
      o = 'peer';
      received++;
    } else break;
  }
  return stoppedAt === undefined ? { kind: 'end' } : { kind: 'end', stoppedAt };
}

/** Whether any address loops from any system (submitted there) or any gateway (from the internet). */
function anyOracleLoop(org: Org): boolean {
  for (const a of addresses(org)) {
    for (const t of org.tables.values()) {
      if (oracleLoops(org, a, t.system, 'local') || (t.gateway && oracleLoops(org, a, t.system, 'internet'))) return true;
    }
  }
  return false;
}

const has = (org: Org, ids: readonly string[], severity?: 'error'): Diagnostic[] =>
  org.diagnostics.filter((d) => ids.includes(d.ruleId) && (severity === undefined || d.severity === severity));

function explain(org: Org, r: Route): string {
  return `${org.text}\nroute of ${r.recipient} from ${r.from}: ${JSON.stringify(r.hops.map((h) => [h.system, h.decision, h.reason]))} -> ${JSON.stringify(r.outcome)}\nlint: ${org.diagnostics.map((d) => `${d.ruleId}: ${d.message}`).join('\n')}`;
}

describe('routing properties of random organisations', () => {
  it('(1) every route terminates and respects the hop limits', () => {
    fc.assert(
      fc.property(anyOrg, (spec) => {
        const org = load(orgConfig(spec));
        const maxLimit = Math.max(...[...org.tables.values()].map((t) => t.hopLimit));
        for (const detectCycles of [false, true]) {
          for (const r of routes(org, detectCycles)) {
            let received = 0;
            for (const h of r.hops) {
              const limit = org.tables.get(h.system)?.hopLimit ?? Infinity;
              // a system only handles a message below its hop limit; at the limit it stops it (5.4.x)
              if (received >= limit) expect(h.decision, explain(org, r)).toBe('loop');
              if (h.decision === 'forward' && h.nextSystem !== undefined && h.nextSystem !== h.system) received++;
            }
            expect(received, explain(org, r)).toBeLessThanOrEqual(maxLimit);
            if (r.outcome.kind === 'looped' && !detectCycles && r.cycle === undefined) {
              // stopped by a hop limit: the stopping system's own status (Postfix 5.4.0, Exchange
              // 5.4.14, otherwise 5.4.6); by the rewrite limit: 5.4.6
              const stopper = org.tables.get(r.outcome.system ?? '');
              const byHops = r.hops.at(-1)?.reason.includes('Received: headers reach the hop limit') === true;
              const hopStatus = stopper?.kind === 'postfix' ? '5.4.0' : stopper?.kind === 'exchange' || stopper?.kind === 'exchange-online' ? '5.4.14' : '5.4.6';
              expect(r.outcome.status, explain(org, r)).toBe(byHops ? hopStatus : '5.4.6');
            }
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('(2) a file without forwarding-loop or contact-target-loop findings never loops', () => {
    let checked = 0;
    fc.assert(
      fc.property(anyOrg, (spec) => {
        const org = load(orgConfig(spec));
        if (has(org, ['forwarding-loop', 'contact-target-loop']).length > 0) return;
        checked++;
        // no cycle; a route stopped all the same is stopped by a hop limit, which hop-limit reports
        const hopLimit = has(org, ['hop-limit']).length > 0;
        for (const r of routes(org, true)) {
          expect(r.cycle, explain(org, r)).toBeUndefined();
          if (!hopLimit) expect(r.outcome.kind, explain(org, r)).not.toBe('looped');
        }
        // the real systems' walk (until a hop limit stops it) does not loop either
        if (hopLimit) return;
        for (const r of routes(org, false)) expect(r.outcome.kind, explain(org, r)).not.toBe('looped');
      }),
      { numRuns: RUNS },
    );
    expect(checked).toBeGreaterThan(RUNS / 10);
  });

  it('(2b) a file has a forwarding-loop or contact-target-loop finding exactly when some route loops', () => {
    fc.assert(
      fc.property(anyOrg, (spec) => {
        const org = load(orgConfig(spec));
        const found = has(org, ['forwarding-loop', 'contact-target-loop']);
        expect(anyOracleLoop(org), `${org.text}\n${found.map((d) => d.message).join('\n')}`).toBe(found.length > 0);
      }),
      { numRuns: RUNS },
    );
  });

  it('(2c) hop-limit reports exactly the systems whose hop limit stops a route that is no loop', () => {
    fc.assert(
      fc.property(anyOrg, (spec) => {
        const org = load(orgConfig(spec));
        if (has(org, ['forwarding-loop', 'contact-target-loop']).length > 0) return;
        const stopped = new Set<string>();
        for (const a of addresses(org)) {
          for (const t of org.tables.values()) {
            for (const origin of t.gateway ? (['local', 'internet'] as const) : (['local'] as const)) {
              const r = oracleRoute(org, a, t.system, origin);
              if (r.kind === 'end' && r.stoppedAt !== undefined) stopped.add(r.stoppedAt);
            }
          }
        }
        const reported = new Set(has(org, ['hop-limit']).map((d) => d.data?.['system'] ?? ''));
        expect([...reported].sort(), org.text).toEqual([...stopped].sort());
      }),
      { numRuns: RUNS },
    );
  });

  it('(3) when every chain ends at an authoritative system, unknown recipients of chained domains never leave the organisation', () => {
    const CHAIN_RULES = [
      'authority-conflict',
      'shared-authoritative',
      'chain-without-authority',
      'chain-order-mismatch',
      'unresolved-forwarding',
      'missing-connector',
      'relay-not-allowed',
    ];
    let checked = 0;
    fc.assert(
      fc.property(orgSpec({ tame: true }), (spec) => {
        const org = load(orgConfig(spec));
        const chained = new Set<string>();
        for (const c of org.model.chains) {
          const last = org.tables.get(c.order[c.order.length - 1] ?? '');
          for (const d of c.domains) {
            if (last?.domains[d.domain.ascii]?.authority !== 'authoritative') return;
            chained.add(d.domain.ascii);
          }
        }
        // connector-leaves-organization is a warning by default, but it is the finding that says
        // exactly this: a chained domain's connector points out of the organisation
        if (chained.size === 0 || has(org, CHAIN_RULES, 'error').length > 0 || has(org, ['connector-leaves-organization']).length > 0) return;
        checked++;
        // from the internet and from the chain's own systems (a system outside the chain
        // rightly looks the domain's MX up: that is external, and reaches the gateway)
        for (const d of chained) {
          const members = new Set(org.model.chains.filter((c) => c.domains.some((x) => x.domain.ascii === d)).flatMap((c) => c.order));
          for (const from of entries(org).filter((e) => e === 'internet' || members.has(e))) {
            const r = org.simulator.route(`nobody@${d}`, from, { detectCycles: true });
            expect(r.outcome.kind, explain(org, r)).not.toBe('external');
          }
        }
      }),
      { numRuns: RUNS },
    );
    expect(checked).toBeGreaterThan(RUNS / 10);
  });

  it('(4) without unreachable-recipient, loop or hop-limit findings, every hosted recipient is delivered from every system that accepts its domain', () => {
    let checked = 0;
    let routed = 0;
    fc.assert(
      fc.property(anyOrg, (spec) => {
        const org = load(orgConfig(spec));
        if (has(org, ['unreachable-recipient', 'forwarding-loop', 'contact-target-loop', 'hop-limit', 'duplicate-address']).length > 0) return;
        checked++;
        // the hosting system of each recipient: the one that delivers it, else a contact's
        const hosts = new Map<string, { system: string; contact: boolean }>();
        for (const t of org.tables.values()) {
          for (const [key, e] of Object.entries(t.recipients)) {
            const cur = hosts.get(key);
            if (!cur || (cur.contact && e.action === 'deliver')) hosts.set(key, { system: t.system, contact: e.action === 'rewrite' });
          }
        }
        for (const t of org.tables.values()) {
          for (const [key, h] of hosts) {
            if (h.system === t.system || !t.domains[key.slice(key.lastIndexOf('@') + 1)]) continue;
            const r = org.simulator.route(key, t.system);
            const o = r.outcome;
            const ok = h.contact ? o.kind === 'external' || o.kind === 'delivered' : o.kind === 'delivered' && o.system === h.system;
            // at an authoritative Exchange system too: its generated mail contacts, or the rule
            if (!ok) expect.fail(explain(org, r));
            routed++;
          }
        }
      }),
      { numRuns: RUNS },
    );
    // about one generated file in ten is free of those findings
    expect(checked).toBeGreaterThan(0);
    expect(routed).toBeGreaterThan(0);
  });

  it('regression (found by 2): meeting the entry system again as a peer is no repeated state', () => {
    // s1 submits with its non-relay "*" connector to s3, which relays a.example back to s1;
    // as a peer s1 may not use that connector and refuses (5.7.1): a bounce, not a loop
    const org = load({
      version: 1,
      domains: { 'a.example': {} },
      systems: { s1: { kind: 'exchange', host: '[10.0.0.2]' }, s3: { kind: 'exchange', host: '[10.0.0.4]' } },
      connectors: [
        { name: 'c0', system: 's1', addressSpaces: ['*'], to: 's3', allowRelay: false },
        { name: 'c1', system: 's3', addressSpaces: ['a.example'], smartHosts: ['[10.0.0.2]'], allowRelay: true },
      ],
    });
    for (const detectCycles of [false, true]) {
      expect(org.simulator.route('nobody@a.example', 's1', { detectCycles }).outcome).toMatchObject({ kind: 'bounced', system: 's1', status: '5.7.1' });
    }
  });
});
