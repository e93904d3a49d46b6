import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/tools.js';
import { makeOrg, startSystem, type Org, type TestRelay } from '../relay/support/org.js';
import { cli, recordingServer, yamlDir, type RecordingServer } from './support.js';

/**
 * `chainmail probe` against the embedded relay (which decides with the same routing engine:
 * no drift), a chain of three relays reached only through --host, and a recording server
 * that proves the dialogue never goes past RSET.
 */
const CHAIN = `
version: 1
name: edge, hub and store on loopback
domains:
  shop.test: {}
  staff.test: {}
  supplier.test: { remote: true }
systems:
  edge: { kind: relay, host: "[127.0.0.1]:2701", gateway: true, mailboxes: [postmaster@staff.test] }
  hub: { kind: relay, host: "[127.0.0.1]:2702", mailboxes: [sales@shop.test, { address: orders@shop.test, aliases: [buy@shop.test] }] }
  store: { kind: relay, host: "[127.0.0.1]:2703", mailboxes: [ann@shop.test, ben@shop.test, cy@shop.test] }
policies:
  - { name: edge staff, system: edge, addresses: [{ space: "@staff.test", primary: true, authoritative: true }] }
  - { name: edge shop, system: edge, addresses: [{ space: "@shop.test", authoritative: false }] }
  - { name: edge supplier, system: edge, filter: null, addresses: [{ space: "@supplier.test", authoritative: false }] }
  - { name: hub shop, system: hub, addresses: [{ space: "@shop.test", primary: true, authoritative: false }] }
  - { name: store shop, system: store, addresses: [{ space: "@shop.test", primary: true, authoritative: true }] }
connectors:
  - { name: edge to hub, system: edge, addressSpaces: [shop.test], to: hub, allowRelay: true }
  - { name: edge to supplier, system: edge, addressSpaces: [supplier.test], smartHosts: ["[127.0.0.1]:2704"], allowRelay: true }
  - { name: hub to store, system: hub, addressSpaces: [shop.test], to: store, allowRelay: true }
  - { name: hub to edge, system: hub, addressSpaces: [staff.test], to: edge, allowRelay: true }
  - { name: store to edge, system: store, addressSpaces: [staff.test], to: edge, allowRelay: true }
contacts:
  - { cn: Supplier Desk, mailNickname: desk, system: edge, targetAddress: desk@supplier.test, proxyAddresses: [supplier@shop.test] }
chains:
  - { name: shop, domains: [shop.test], order: [edge, hub, store] }
`;

describe('probe against embedded relays', () => {
  let org: Org;
  const relays = new Map<string, TestRelay>();

  beforeAll(async () => {
    org = makeOrg(CHAIN);
    // the file names ports 2701-2703; the relays listen elsewhere and --host points at them
    for (const s of ['edge', 'hub', 'store']) relays.set(s, await startSystem(org, s, { listen: { host: '127.0.0.1', port: 0 } }));
  });
  afterAll(async () => {
    for (const r of relays.values()) await r.close();
    org?.cleanup();
  });

  const hostArgs = (): string[] => [...relays].flatMap(([s, r]) => ['--host', `${s}=127.0.0.1:${r.address().port}`]);

  it('finds no drift on any system of a three-relay chain, every probe class included', async () => {
    const r = await cli(['probe', 'chainmail.yaml', '--recipients', 'all', '--rate', '0', '--format', 'json', ...hostArgs()], org.dir);
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    const out = JSON.parse(r.stdout) as { systems: { system: string; probes: number; ok: number; drift: number; inconclusive: number; results: { class: string }[] }[]; differences: unknown[] };
    expect(out.differences).toEqual([]);
    expect(out.systems.map((s) => s.system)).toEqual(['edge', 'hub', 'store']);
    for (const s of out.systems) {
      expect(s.drift).toBe(0);
      expect(s.inconclusive).toBe(0);
      expect(s.ok).toBe(s.probes);
      expect(s.probes).toBeGreaterThan(5);
    }
    // every class of recipient the file has (no IDN domain here, so no u-label)
    const classes = new Set(out.systems.flatMap((s) => s.results.map((x) => x.class)));
    expect([...classes].sort()).toEqual(['alias', 'case-variant', 'contact', 'foreign', 'mailbox', 'other-domain', 'other-system', 'subdomain', 'unknown']);
  });

  it('reaches no relay delivered anything: every probe stopped at RCPT', async () => {
    for (const r of relays.values()) expect(r.events.filter((e) => e.event === 'accept' || e.event === 'deliver')).toEqual([]);
  });

  it('probes one system with --system and says so in text', async () => {
    const r = await cli(['probe', 'chainmail.yaml', '--system', 'edge', '--rate', '0', ...hostArgs()], org.dir);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^edge \(127\.0\.0\.1:\d+\): \d+ probes, \d+ as the file says, 0 drift, 0 inconclusive\n/);
    expect(r.stdout).toMatch(/\nno drift \(\d+ probes, 0 inconclusive\)\n$/);
  });

  it('without --host it goes to the file\'s own ports, where nothing listens: exit 2, one line', async () => {
    const r = await cli(['probe', 'chainmail.yaml', '--system', 'store', '--rate', '0'], org.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('chainmail probe: system "store" at 127.0.0.1:2703: ECONNREFUSED\n');
  });
});

describe('probe against a recording server', () => {
  const yaml = CHAIN;
  let files: ReturnType<typeof yamlDir>;
  beforeAll(() => {
    files = yamlDir(yaml);
  });
  afterAll(() => files.cleanup());

  it.each([true, false])('never sends DATA or BDAT, even when every recipient is accepted (pipelining %s)', async (pipelining) => {
    const rec: RecordingServer = await recordingServer({ rcpt: () => '250 2.1.5 Ok', pipelining, smtputf8: true });
    try {
      const r = await cli(['probe', 'chainmail.yaml', '--recipients', 'all', '--rate', '0', '--concurrency', '3', ...['edge', 'hub', 'store'].flatMap((s) => ['--host', `${s}=127.0.0.1:${rec.port}`])], files.dir);
      expect(r.code).toBe(1);
      const verbs = new Set(rec.commands.map((c) => c.split(' ')[0]?.toUpperCase()));
      expect([...verbs].sort()).toEqual(['EHLO', 'MAIL', 'QUIT', 'RCPT', 'RSET']);
      expect(rec.commands.filter((c) => /^(DATA|BDAT)/i.test(c))).toEqual([]);
      expect(rec.commands.filter((c) => c.startsWith('MAIL')).every((c) => /^MAIL FROM:<>( SMTPUTF8)?$/.test(c))).toBe(true);
      // an open relay is reported as such, and critical
      expect(r.stdout).toMatch(/RCPT TO:<chainmail-probe-[0-9a-f]+@chainmail-probe\.invalid> \(foreign\) expected 554 5\.7\.1, got 250 2\.1\.5 .*\[probe-open-relay\]/);
      expect(rec.connections.peak).toBeLessThanOrEqual(3);
    } finally {
      await rec.close();
    }
  });

  it('a server answering 450 to every RCPT is inconclusive: exit 0, the count said', async () => {
    const rec = await recordingServer({ rcpt: () => '450 4.2.0 greylisted, try again later', smtputf8: true });
    try {
      const r = await cli(['probe', 'chainmail.yaml', '--system', 'edge', '--recipients', 'all', '--rate', '0', '--host', `edge=127.0.0.1:${rec.port}`], files.dir);
      expect(r.code).toBe(0);
      const rcpts = rec.commands.filter((c) => c.startsWith('RCPT')).length;
      expect(rcpts).toBeGreaterThan(5);
      expect(r.stdout).toContain(`edge (127.0.0.1:${rec.port}): ${rcpts} probes, 0 as the file says, 0 drift, ${rcpts} inconclusive`);
      expect(r.stdout).toMatch(new RegExp(`\\nno drift \\(${rcpts} probes, ${rcpts} inconclusive\\)\\n$`));
    } finally {
      await rec.close();
    }
  });

  it('a 421 ends the probing of that system: no further connection to it', async () => {
    const rec = await recordingServer({ rcpt: () => '421 4.3.2 shutting down', smtputf8: true });
    try {
      const r = await cli(['probe', 'chainmail.yaml', '--system', 'edge', '--recipients', 'all', '--rate', '0', '--concurrency', '1', '--host', `edge=127.0.0.1:${rec.port}`], files.dir);
      expect(r.code).toBe(0);
      expect(rec.connections.total).toBe(1);
      expect(rec.commands.filter((c) => c.startsWith('RCPT')).length).toBeGreaterThan(0);
    } finally {
      await rec.close();
    }
  });

  it('nothing listening: exit 2 and one line', async () => {
    const port = await freePort();
    const r = await cli(['probe', 'chainmail.yaml', '--system', 'hub', '--host', `hub=127.0.0.1:${port}`], files.dir);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toEqual([`chainmail probe: system "hub" at 127.0.0.1:${port}: ECONNREFUSED`, '']);
  });

  it.each([
    [['--host', 'nosuch=127.0.0.1:25'], /^chainmail probe: --host: no system "nosuch" in chainmail.yaml/],
    [['--host', 'edge=127.0.0.1'], /--host needs NAME=HOST:PORT/],
    [['--recipients', 'some'], /--recipients is sample or all/],
    [['--format', 'xml'], /unknown --format "xml"/],
    [['--sender', 'a@b.test> NOTIFY=NEVER'], /--sender needs local@domain/],
  ])('usage error %j: exit 2, one line', async (args, msg) => {
    const r = await cli(['probe', 'chainmail.yaml', ...args], files.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
