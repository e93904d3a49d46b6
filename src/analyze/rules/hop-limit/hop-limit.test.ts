import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';
import { Simulator } from '../../../route/simulate.js';
import { compileRoutingTables } from '../../../routing/compile.js';

const RULE = 'hop-limit';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

const load = (c: Cfg): ReturnType<typeof cases.load> => cases.load(c);

/** The rule alone, timed. */
const timed = (c: Cfg): { findings: Finding[]; ms: number } => cases.timed(c);

const findings = (c: Cfg): Finding[] => cases.findingsFor(c);

function fixture(name: string): Cfg {
  return parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));
}

/** A chain of `n` systems of `kind` for example.com: s0000 (the gateway) relays to s0001, and so on. */
function chain(n: number, kind: string): Cfg {
  const names = Array.from({ length: n }, (_, i) => `s${String(i).padStart(4, '0')}`);
  const c: Cfg = { version: 1, domains: { 'example.com': {} }, systems: {}, policies: [], connectors: [], chains: [] };
  names.forEach((s, i) => {
    c.systems[s] = { kind, host: `[10.${i >> 8}.${i & 255}.1]` };
    c.policies.push({ name: s, system: s, addresses: [{ space: '@example.com', authoritative: i === n - 1 }] });
    const next = names[i + 1];
    if (next) c.connectors.push({ name: `${s} to ${next}`, system: s, addressSpaces: ['example.com'], to: next, allowRelay: true });
  });
  c.systems[names[0] as string].gateway = true;
  c.chains.push({ name: 'long', domains: ['example.com'], order: names });
  return c;
}

describe('hop-limit', () => {
  it('reports the system whose limit the route reaches, at its hopLimit, with the route', () => {
    const f = findings(fixture('invalid/long-chain.yaml'));
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['systems', 'unix', 'hopLimit'] });
    expect(f[0]?.data).toEqual({
      system: 'unix',
      hopLimit: '3',
      hops: '3',
      recipient: 'carol@example.com',
      from: 'internet',
      route: 'gateway -> hub1 -> hub2 -> unix',
    });
    expect(f[0]?.fix?.yaml).toBe('hopLimit: 4');
  });

  it.each<[string, (c: Cfg) => void, Record<string, string>]>([
    [
      'an unknown recipient when the gateway accepts them',
      (c) => {
        c.chains[0].rejectUnknownAtGateway = false;
        c.systems.unix.mailboxes = [];
      },
      { recipient: 'unknown-recipient@example.com', from: 'internet', system: 'unix', hops: '3' },
    ],
    [
      'mail submitted at a system of the chain',
      (c) => {
        c.systems.gateway.gateway = false;
        c.systems.unix.hopLimit = 2;
      },
      // submitted locally, an unknown recipient passes the gateway's RCPT validation too
      // (sendmail never consults relay_recipient_maps) and is the first witness
      { from: 'gateway', system: 'unix', hops: '3', recipient: 'unknown-recipient@example.com' },
    ],
    [
      'a limit in the middle of the route',
      (c) => {
        c.systems.unix.hopLimit = 50;
        c.systems.hub2.hopLimit = 1;
      },
      { system: 'hub2', hopLimit: '1', hops: '2', from: 'internet' },
    ],
  ])('%s', (_, edit, data) => {
    const c = fixture('invalid/long-chain.yaml');
    edit(c);
    const f = findings(c);
    expect(f).toHaveLength(1);
    expect(f[0]?.data).toMatchObject(data);
  });

  it('points at the system when its hop limit is the default', () => {
    const f = findings(chain(22, 'exchange'));
    expect(f.map((x) => x.at)).toEqual([{ path: ['systems', 's0020'], key: true }, { path: ['systems', 's0021'], key: true }]);
    expect(f[0]?.message).toBe(
      'mail for an unknown recipient of "example.com" from the internet reaches system "s0020" after 20 hops, its hop limit (20 Received: headers), and is stopped as a loop (5.4.14): s0000 -> s0001 -> s0002 -> s0003 -> s0004 -> s0005 -> ... (21 systems) -> s0015 -> s0016 -> s0017 -> s0018 -> s0019 -> s0020',
    );
    expect(f[1]?.data).toMatchObject({ from: 's0001', system: 's0021', hops: '20' });
  });

  it('agrees with the simulator', () => {
    const loaded = load(chain(22, 'exchange'));
    const sim = new Simulator(compileRoutingTables(loaded.model!));
    const r = sim.route('nobody@example.com');
    expect(r.outcome).toMatchObject({ kind: 'looped', system: 's0020', status: '5.4.14' });
    expect(sim.route('nobody@example.com', 's0002').outcome).toMatchObject({ kind: 'delivered', system: 's0021' });
  });

  it.each<[string, Cfg]>([
    ['the complete file', fixture('valid/complete.yaml')],
    ['a chain of 20 exchange systems (19 hops to the last)', chain(20, 'exchange')],
    ['a loop (forwarding-loop reports it)', (() => {
      const c = fixture('invalid/long-chain.yaml');
      c.systems.unix.hopLimit = 50;
      c.systems.unix.forwardUnresolvedTo = 'gateway';
      c.chains[0].rejectUnknownAtGateway = false;
      return c;
    })()],
  ])('is quiet on %s', (_, c) => {
    expect(findings(c)).toEqual([]);
  });

  it('answers for a chain of 1,000 postfix systems in seconds', () => {
    const c = chain(1000, 'postfix');
    const { findings: f, ms } = timed(c);
    expect(ms).toBeLessThan(30_000); // CPU ms, generous; the benchmark measures speed
    // every system from s0050 on is 50 hops from an entry point
    expect(f).toHaveLength(950);
    expect(f[0]?.data).toMatchObject({ system: 's0050', from: 'internet', hops: '50' });
  }, 60_000);
});
