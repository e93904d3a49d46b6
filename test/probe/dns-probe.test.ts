import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNamed, type Named } from '../support/named.js';
import { freePort, requireTools } from '../support/tools.js';
import { makeOrg, startSystem, type Org, type TestRelay } from '../relay/support/org.js';
import { cli } from './support.js';

/**
 * `chainmail probe` finds a system whose host is a name as an SMTP client does (RFC 5321
 * section 5.1): MX in preference order, then the exchange's A record; the name's own A
 * record when it has no MX; only the A record of a bracketed name. A private named on
 * loopback serves corp.test through --resolver; every name leads to 127.0.0.1, where the
 * embedded relays listen, or to a decoy loopback address where nothing does (so a wrong
 * lookup is a connection refused, exit 2). Nothing leaves loopback.
 */
const tools = requireTools('named');

const ZONE = [
  '$ORIGIN corp.test.',
  '$TTL 300',
  '@ IN SOA ns1 hostmaster 1 3600 600 86400 300',
  '@ IN NS ns1',
  'ns1 IN A 127.0.0.1',
  // gw: MX 10 is the one; the name's own A and the MX 20 host are decoys
  '@ IN MX 20 mx2',
  '@ IN MX 10 mx1',
  '@ IN A 127.0.0.2',
  'mx1 IN A 127.0.0.1',
  'mx2 IN A 127.0.0.3',
  // plain: no MX, the implicit MX is the name itself
  'plain IN A 127.0.0.1',
  // direct: a bracketed host, its MX (to a decoy) is not asked
  'direct IN A 127.0.0.1',
  'direct IN MX 10 mx2',
  // backup: the best MX host has no address, the next one has
  'backup IN MX 10 nowhere',
  'backup IN MX 20 mx1',
  // nullmx: RFC 7505
  'nullmx IN MX 0 .',
  '',
].join('\n');

describe.skipIf(!tools)('probe resolves system hosts through --resolver (a private named)', () => {
  let named: Named;
  let org: Org;
  const relays = new Map<string, TestRelay>();
  const ports = new Map<string, number>();

  beforeAll(async () => {
    named = await startNamed(tools?.named ?? 'named', { 'corp.test': () => ZONE });
    for (const s of ['gw', 'plain', 'direct', 'backup']) ports.set(s, await freePort());
    const relay = (name: string, host: string): string => `  ${name}: { kind: relay, host: "${host}", port: ${ports.get(name) ?? 0} }`;
    org = makeOrg(`version: 1
domains:
  corp.test: {}
systems:
  gw: { kind: relay, host: corp.test, port: ${ports.get('gw') ?? 0}, gateway: true, mailboxes: [ann@corp.test, { address: bo@corp.test, aliases: [bob@corp.test] }] }
${relay('plain', 'plain.corp.test')}
${relay('direct', '[direct.corp.test]')}
${relay('backup', 'backup.corp.test')}
  ghost: { kind: other, host: ghost.corp.test }
  nullmx: { kind: other, host: nullmx.corp.test }
policies:
  - { name: corp, system: gw, addresses: [{ space: "@corp.test", primary: true, authoritative: true }] }
`);
    for (const s of ['gw', 'plain', 'direct', 'backup']) relays.set(s, await startSystem(org, s, { listen: { host: '127.0.0.1', port: ports.get(s) ?? 0 } }));
  }, 120_000);
  afterAll(async () => {
    for (const r of relays.values()) await r.close();
    await named?.stop();
    org?.cleanup();
  });

  const probe = (...args: string[]) => cli(['probe', 'chainmail.yaml', '--rate', '0', '--resolver', named.server, ...args], org.dir);

  it('MX in preference order then A, A without MX, A only for a bracketed name: no drift', async () => {
    const r = await probe('--system', 'gw', '--system', 'plain', '--system', 'direct', '--system', 'backup', '--recipients', 'all', '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    const out = JSON.parse(r.stdout) as { systems: { system: string; address: string; via?: string; probes: number; ok: number }[] };
    expect(out.systems.map((s) => [s.system, s.via, s.address])).toEqual([
      ['gw', 'corp.test MX 10 mx1.corp.test', `127.0.0.1:${ports.get('gw')}`],
      ['plain', 'plain.corp.test A (no MX)', `127.0.0.1:${ports.get('plain')}`],
      ['direct', 'direct.corp.test A', `127.0.0.1:${ports.get('direct')}`],
      ['backup', 'backup.corp.test MX 20 mx1.corp.test', `127.0.0.1:${ports.get('backup')}`],
    ]);
    for (const s of out.systems) expect(s.ok).toBe(s.probes);
    // the gateway's recipients really were asked, at the relay the MX leads to
    expect(out.systems[0]?.probes).toBeGreaterThanOrEqual(6);
  });

  it('says the lookup in the text summary', async () => {
    const r = await probe('--system', 'gw');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^gw \\(corp\\.test MX 10 mx1\\.corp\\.test -> 127\\.0\\.0\\.1:${ports.get('gw')}\\): (\\d+) probes, \\1 as the file says, 0 drift, 0 inconclusive\\n`));
  });

  it.each([
    ['ghost', 'ghost.corp.test:25: ghost.corp.test does not resolve: no such name (NXDOMAIN)'],
    ['nullmx', 'nullmx.corp.test:25: nullmx.corp.test has a null MX (RFC 7505): it accepts no mail'],
  ])('a host that does not resolve (%s): exit 2, one line', async (system, line) => {
    const r = await probe('--system', system);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`chainmail probe: system "${system}" at ${line}\n`);
  });

  it('--host overrides the lookup: the name is not asked', async () => {
    const port = ports.get('plain') ?? 0;
    const r = await probe('--system', 'ghost', '--host', `ghost=127.0.0.1:${port}`, '--format', 'json');
    // plain's relay answers for ghost: both accept nothing, so no drift; and no lookup failed
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as { systems: { via?: string; address: string }[] }).systems[0]).toMatchObject({ address: `127.0.0.1:${port}` });
  });
});

describe('--resolver usage errors', () => {
  it.each([['dns.example.net:53'], ['127.0.0.1'], ['::1:53']])('--resolver %s: exit 2, one line', async (value) => {
    const r = await cli(['probe', 'nosuch.yaml', '--resolver', value], process.cwd());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chainmail probe: --resolver needs an IP address and a port/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
