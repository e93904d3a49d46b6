import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeOrg, type Org } from '../relay/support/org.js';
import { asTheFileSays, cli, recordingServer, type RecordingServer } from './support.js';

/**
 * Two replies that make the probe open another transaction: a refused null sender (RFC 5321
 * section 4.5.5; tried again with a normal sender, and reported) and "452 4.5.3 too many
 * recipients" (section 4.5.3.1.10; the rest in the next transaction). The servers answer
 * every RCPT as the file says, so any difference is the probe's own doing.
 */
const yaml = (nullSender: string): string => `version: 1
domains:
  corp.test: {}
  partner.test: {}
systems:
  gw:
    kind: relay
    host: "[127.0.0.1]:2799"
    gateway: true${nullSender}
    mailboxes: [ann@corp.test, ben@corp.test, cy@corp.test, di@corp.test, { address: ed@corp.test, aliases: [eddie@corp.test, edward@corp.test] }, flo@corp.test, gus@corp.test]
  partner: { kind: other, host: "[127.0.0.1]:2798" }
policies:
  - { name: corp, system: gw, addresses: [{ space: "@corp.test", primary: true, authoritative: true }] }
  - { name: partner, system: partner, addresses: [{ space: "@partner.test", primary: true, authoritative: true }] }
`;

interface Json {
  systems: { system: string; probes: number; ok: number; drift: number; inconclusive: number; nullSender: string; sender?: string; results: { verdict: string; observed: string }[] }[];
  differences: { ruleId: string; line: number; message: string; class: string }[];
}

describe('the null sender', () => {
  let plain: Org;
  let declared: Org;
  let rec: RecordingServer | undefined;
  beforeAll(() => {
    plain = makeOrg(yaml(''));
    declared = makeOrg(yaml('\n    nullSender: refuse'));
  });
  afterAll(() => {
    plain.cleanup();
    declared.cleanup();
  });
  afterEach(async () => {
    await rec?.close();
    rec = undefined;
  });
  const probe = async (org: Org, port: number, ...args: string[]): Promise<{ code: number; json: Json }> => {
    const r = await cli(['probe', 'chainmail.yaml', '--system', 'gw', '--recipients', 'all', '--rate', '0', '--concurrency', '1', '--host', `gw=127.0.0.1:${port}`, '--format', 'json', ...args], org.dir);
    return { code: r.code, json: JSON.parse(r.stdout) as Json };
  };
  const gwLine = (org: Org): number => yaml(org === plain ? '' : '\n    nullSender: refuse').split('\n').indexOf('  gw:') + 1;
  const mails = (): string[] => (rec?.commands ?? []).filter((c) => c.startsWith('MAIL'));

  it('refused at MAIL and the file does not say so: reported once at the system, every batch probed with a normal sender', async () => {
    const table = plain.tables.get('gw');
    if (!table) throw new Error('no gw');
    rec = await recordingServer({ mail: (from) => (from === '' ? '550 5.7.1 we take no bounces' : '250 2.1.0 Ok'), rcpt: asTheFileSays(table) });
    const { code, json } = await probe(plain, rec.port);
    expect(code).toBe(1);
    expect(json.differences.map((d) => [d.ruleId, d.line, d.class])).toEqual([['probe-null-sender', gwLine(plain), 'null-sender']]);
    expect(json.differences[0]?.message).toContain('MAIL FROM:<> got 550 5.7.1 "5.7.1 we take no bounces"');
    const gw = json.systems[0];
    expect(gw).toMatchObject({ nullSender: 'refused', sender: 'chainmail-probe@chainmail-probe.invalid', drift: 1, inconclusive: 0 });
    expect(gw?.ok).toBe(gw?.probes);
    expect(gw?.probes).toBeGreaterThan(10);
    // asked once; from then on the normal sender only
    expect(mails().filter((m) => m === 'MAIL FROM:<>')).toHaveLength(1);
    expect(mails().slice(1).every((m) => m === 'MAIL FROM:<chainmail-probe@chainmail-probe.invalid>')).toBe(true);
  });

  it('--sender names the normal sender', async () => {
    const table = plain.tables.get('gw');
    if (!table) throw new Error('no gw');
    rec = await recordingServer({ mail: (from) => (from === '' ? '553 5.1.7 no null sender' : '250 2.1.0 Ok'), rcpt: asTheFileSays(table) });
    const { json } = await probe(plain, rec.port, '--sender', 'probe@corp.test', '--helo', 'probe.corp.test');
    expect(json.systems[0]).toMatchObject({ nullSender: 'refused', sender: 'probe@corp.test', inconclusive: 0 });
    expect(new Set(mails())).toEqual(new Set(['MAIL FROM:<>', 'MAIL FROM:<probe@corp.test>']));
  });

  it('a server that refuses the normal sender too: the batches are inconclusive, exit 1 for the null sender alone', async () => {
    rec = await recordingServer({ mail: () => '550 5.7.1 go away', rcpt: () => '250 2.1.5 Ok' });
    const { code, json } = await probe(plain, rec.port);
    expect(code).toBe(1);
    expect(json.systems[0]).toMatchObject({ nullSender: 'refused', drift: 1, ok: 0 });
    expect(json.systems[0]?.inconclusive).toBe(json.systems[0]?.probes);
    expect(rec.commands.filter((c) => c.startsWith('RCPT'))).not.toEqual([]);
  });

  // a system that accepts MAIL FROM:<> but refuses bounces at RCPT (as some gateways refuse
  // bounces to addresses that never sent mail): only the file can say it
  const bounceFilter = (table: Parameters<typeof asTheFileSays>[0]) => {
    const asFile = asTheFileSays(table);
    return (address: string, from: string): string => (from === '' ? '550 5.7.1 no bounces to this address' : asFile(address));
  };

  it('nullSender: refuse in the file: MAIL FROM:<> is never sent, and a server that treats it differently at RCPT shows no drift', async () => {
    const table = declared.tables.get('gw');
    if (!table) throw new Error('no gw');
    rec = await recordingServer({ rcpt: bounceFilter(table) });
    const { code, json } = await probe(declared, rec.port);
    expect(json.differences).toEqual([]);
    expect(code).toBe(0);
    expect(json.systems[0]).toMatchObject({ nullSender: 'declared', sender: 'chainmail-probe@chainmail-probe.invalid', drift: 0, inconclusive: 0 });
    expect(mails().length).toBeGreaterThan(0);
    expect(mails().filter((m) => m === 'MAIL FROM:<>')).toEqual([]);
  });

  it('the same server without nullSender: refuse: every known recipient is reported as refused (mail loss)', async () => {
    const table = plain.tables.get('gw');
    if (!table) throw new Error('no gw');
    rec = await recordingServer({ rcpt: bounceFilter(table) });
    const { code, json } = await probe(plain, rec.port);
    expect(code).toBe(1);
    expect(json.systems[0]?.nullSender).toBe('accepted');
    expect(json.differences.filter((d) => d.ruleId === 'probe-mail-loss').length).toBeGreaterThanOrEqual(9);
  });
});

describe('452 4.5.3 too many recipients', () => {
  let org: Org;
  let rec: RecordingServer | undefined;
  beforeAll(() => {
    org = makeOrg(yaml(''));
  });
  afterAll(() => org.cleanup());
  afterEach(async () => {
    await rec?.close();
    rec = undefined;
  });

  it.each([true, false])('the recipients over the limit go in another transaction: every probe answered, no drift (pipelining %s)', async (pipelining) => {
    const table = org.tables.get('gw');
    if (!table) throw new Error('no gw');
    rec = await recordingServer({ rcpt: asTheFileSays(table), rcptLimit: 3, pipelining });
    const r = await cli(['probe', 'chainmail.yaml', '--recipients', 'all', '--rate', '0', '--concurrency', '1', '--system', 'gw', '--host', `gw=127.0.0.1:${rec.port}`, '--format', 'json'], org.dir);
    const json = JSON.parse(r.stdout) as Json;
    expect(json.differences).toEqual([]);
    expect(r.code).toBe(0);
    const gw = json.systems[0];
    expect(gw?.inconclusive).toBe(0);
    expect(gw?.ok).toBe(gw?.probes);
    // more than one transaction per connection, none over the limit, and the limit reached
    expect(rec.taken.every((n) => n <= 3)).toBe(true);
    expect(Math.max(...rec.taken)).toBe(3);
    expect(rec.commands.filter((c) => c.startsWith('MAIL')).length).toBeGreaterThan(rec.connections.total);
    expect(rec.connections.total).toBe(1);
  });

  it('a server that takes no recipient at all: inconclusive, said so, no endless retry', async () => {
    rec = await recordingServer({ rcpt: () => '250 2.1.5 Ok', rcptLimit: 0 });
    const r = await cli(['probe', 'chainmail.yaml', '--recipients', 'all', '--rate', '0', '--system', 'gw', '--host', `gw=127.0.0.1:${rec.port}`], org.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: (\d+) probes, 0 as the file says, 0 drift, \1 inconclusive/);
    // one transaction per batch, each RCPT sent once
    expect(rec.commands.filter((c) => c.startsWith('MAIL')).length).toBe(rec.connections.total);
  });
});
