import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'forwarding-loop';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule alone, timed. */
const timed = (c: Cfg): { findings: Finding[]; ms: number } => cases.timed(c);

const findings = (c: Cfg): Finding[] => cases.findingsFor(c);

/** The rule's findings for the complete valid fixture after `edit`. */
function run(edit: (c: Cfg) => void): Finding[] {
  const c: Cfg = parse(readFileSync(new URL('fixtures/valid/complete.yaml', import.meta.url), 'utf8'));
  edit(c);
  return findings(c);
}

/** A chain of `n` systems s0 (the gateway) ... s<n-1> for example.com, each relaying to the next. */
function chain(n: number, kind = 'relay'): Cfg {
  const names = Array.from({ length: n }, (_, i) => `s${String(i).padStart(4, '0')}`);
  const c: Cfg = { version: 1, domains: { 'example.com': {} }, systems: {}, policies: [], connectors: [], chains: [] };
  names.forEach((s, i) => {
    c.systems[s] = { kind, host: `[10.${i >> 8}.${i & 255}.1]`, hopLimit: 1000 };
    c.policies.push({ name: `${s} domains`, system: s, addresses: [{ space: '@example.com', authoritative: i === n - 1 }] });
    const next = names[i + 1];
    if (next) c.connectors.push({ name: `${s} to ${next}`, system: s, addressSpaces: ['example.com'], to: next, allowRelay: true });
  });
  c.systems[names[0] as string].gateway = true;
  c.chains.push({ name: 'long', domains: ['example.com'], order: names });
  return c;
}

describe('forwarding-loop', () => {
  it.each<[string, (c: Cfg) => void, (string | number)[], Record<string, string>]>([
    [
      'the last system forwards unresolved recipients back to the gateway',
      (c) => {
        c.systems.unix.forwardUnresolvedTo = 'exchange';
        c.chains[0].rejectUnknownAtGateway = false;
      },
      ['systems', 'unix', 'forwardUnresolvedTo'],
      { cycle: 'exchange -> unix -> exchange', domains: 'example.com', system: 'unix', target: 'exchange', via: 'forwardUnresolvedTo' },
    ],
    [
      'the same, written as the host of the gateway',
      (c) => {
        c.systems.unix.forwardUnresolvedTo = 'mail.xo.one';
        c.chains[0].rejectUnknownAtGateway = false;
      },
      ['systems', 'unix', 'forwardUnresolvedTo'],
      { cycle: 'exchange -> unix -> exchange', domains: 'example.com', system: 'unix', target: 'exchange', via: 'forwardUnresolvedTo' },
    ],
    [
      'a connector back to the gateway on a non-authoritative last system',
      (c) => {
        c.policies[3].addresses[0].authoritative = false;
        c.chains[0].rejectUnknownAtGateway = false;
        c.connectors.push({ name: 'Back', system: 'unix', addressSpaces: ['example.com'], to: 'exchange', allowRelay: true });
      },
      ['connectors', 2, 'to'],
      { cycle: 'exchange -> unix -> exchange', domains: 'example.com', system: 'unix', target: 'exchange', via: 'connector', connector: 'Back' },
    ],
    [
      'a smart host that is the gateway itself, for a remote domain',
      (c) => (c.connectors[1].smartHosts = ['mail.xo.one']),
      ['connectors', 1, 'smartHosts', 0],
      { cycle: 'exchange -> exchange', domains: 'remote.domain', system: 'exchange', target: 'exchange', via: 'connector', connector: 'To remote.domain' },
    ],
    [
      'known recipients only: the gateway rejects unknown ones, but passes its chain\'s known ones round a loop',
      (c) => {
        c.systems.hub = { kind: 'postfix', host: '[192.168.1.20]', forwardUnresolvedTo: 'exchange', mailboxes: [] };
        c.policies.push({ name: 'hub', system: 'hub', addresses: [{ space: '@example.com', authoritative: false }] });
        c.connectors[0].to = 'hub';
        c.connectors.push({ name: 'hub to unix', system: 'hub', addressSpaces: ['example.com'], to: 'unix', allowRelay: true });
        c.chains[0].order = ['exchange', 'hub', 'unix'];
      },
      ['systems', 'hub', 'forwardUnresolvedTo'],
      { cycle: 'exchange -> hub -> exchange', domains: 'example.com', system: 'hub', target: 'exchange', via: 'forwardUnresolvedTo' },
    ],
  ])('%s', (_, edit, path, data) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toMatchObject({ path });
    expect(f[0]?.data).toEqual(data);
  });

  it('reports a cycle once for every domain it carries, with a fix for forwardUnresolvedTo', () => {
    const f = run((c) => {
      c.systems.unix.forwardUnresolvedTo = 'exchange';
      c.chains[0].rejectUnknownAtGateway = false;
      c.domains['example.net'] = {};
      c.policies[1].addresses.push({ space: '@example.net', authoritative: false });
      c.policies[3].addresses.push({ space: '@example.net', authoritative: true });
      c.connectors[0].addressSpaces.push('example.net');
      c.chains[0].domains.push('example.net');
    });
    expect(f).toHaveLength(1);
    expect(f[0]?.message).toBe(
      'unresolved recipients of "example.com", "example.net" loop: exchange -> unix -> exchange (forwardUnresolvedTo of system "unix" sends them back to "exchange")',
    );
    expect(f[0]?.at).toEqual({ path: ['systems', 'unix', 'forwardUnresolvedTo'], key: true });
    expect(f[0]?.related?.map((r) => r.message)).toEqual(['connector "To UNIX" of system "exchange" sends them to "unix"']);
    expect(f[0]?.fix?.yaml).toBe('forwardUnresolvedTo: null');
  });

  it('starts a cycle without a gateway at the system earliest in the chain', () => {
    const c = chain(3);
    c.systems.s0000.gateway = false;
    c.systems.s0002.forwardUnresolvedTo = 's0001';
    c.systems.s0001.gateway = false;
    const f = findings(c);
    expect(f.map((x) => x.data?.['cycle'])).toEqual(['s0001 -> s0002 -> s0001']);
  });

  it('is quiet on a chain that ends at an authoritative system', () => {
    expect(run(() => {})).toEqual([]);
    expect(findings(chain(5))).toEqual([]);
  });

  it('finds the way back in a chain of 1,000 systems in seconds', () => {
    const c = chain(1000);
    c.systems.s0999.forwardUnresolvedTo = 's0000';
    const { findings: f, ms } = timed(c);
    expect(ms).toBeLessThan(30_000); // CPU ms, generous; the benchmark measures speed
    expect(f).toHaveLength(1);
    expect(f[0]?.data?.['cycle']).toBe('s0000 -> s0001 -> s0002 -> s0003 -> s0004 -> s0005 -> ... (1,000 systems) -> s0995 -> s0996 -> s0997 -> s0998 -> s0999 -> s0000');
    expect(f[0]?.at).toEqual({ path: ['systems', 's0999', 'forwardUnresolvedTo'], key: true });
  }, 60_000);
});
