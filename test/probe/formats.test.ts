import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOrg, startSystem, type Org } from '../relay/support/org.js';
import { findTool } from '../support/tools.js';
import { cli, recordingServer, yamlDir, type RecordingServer } from './support.js';

/** The report formats of `probe`, and STARTTLS against the embedded relay. */
const YAML = `version: 1
domains:
  corp.test: {}
systems:
  gw:
    kind: relay
    host: "[127.0.0.1]:2799"
    gateway: true
    mailboxes: [ann@corp.test]
policies:
  - { name: corp, system: gw, addresses: [{ space: "@corp.test", primary: true, authoritative: true }] }
`;

describe('probe report formats', () => {
  let files: ReturnType<typeof yamlDir>;
  let rec: RecordingServer;
  beforeAll(async () => {
    files = yamlDir(YAML);
    // accepts everything: the unknown recipient is backscatter, the foreign domain an open relay
    rec = await recordingServer({ rcpt: () => '250 2.1.5 Ok' });
  });
  afterAll(async () => {
    await rec.close();
    files.cleanup();
  });
  const probe = (format: string) => cli(['probe', 'chainmail.yaml', '--rate', '0', '--host', `gw=127.0.0.1:${rec.port}`, '--format', format], files.dir);

  it('sarif: one result per difference, with its rule and YAML location', async () => {
    const r = await probe('sarif');
    expect(r.code).toBe(1);
    const results = (JSON.parse(r.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] }).runs[0]?.results ?? [];
    const got = results.map((x) => [x.ruleId, x.locations[0]?.physicalLocation.artifactLocation.uri, x.locations[0]?.physicalLocation.region.startLine]);
    expect(got).toContainEqual(['probe-open-relay', 'chainmail.yaml', 5]);
    expect(got).toContainEqual(['probe-backscatter', 'chainmail.yaml', 11]);
    // every result points at a reportingDescriptor of the probe's classes, with its doc page
    const run = (JSON.parse(r.stdout) as { runs: { tool: { driver: { rules: { id: string; helpUri: string }[] } }; results: { ruleId: string; ruleIndex?: number }[] }[] }).runs[0];
    const ids = run?.tool.driver.rules.map((d) => d.id) ?? [];
    expect(ids).toEqual(['probe-mail-loss', 'probe-backscatter', 'probe-open-relay', 'probe-extra-domain', 'probe-missing-domain', 'probe-null-sender', 'probe-inconclusive']);
    for (const x of run?.results ?? []) expect(ids[x.ruleIndex ?? -1]).toBe(x.ruleId);
    expect(run?.tool.driver.rules[0]?.helpUri).toMatch(/docs\/probe\.md#differences$/);
  });

  it('github: workflow commands at the YAML location', async () => {
    const r = await probe('github');
    expect(r.stdout).toMatch(/^::error file=chainmail\.yaml,line=5,.*title=probe-open-relay::system "gw" relays to a domain it must not/m);
  });

  it('junit and markdown name the differences', async () => {
    expect((await probe('junit')).stdout).toContain('probe-backscatter');
    const md = (await probe('markdown')).stdout;
    expect(md).toMatch(/^\| gw \| 127\.0\.0\.1:\d+ \| 5 \| 2 \| 3 \| 0 \|$/m);
    expect(md).toMatch(/^\| probe-open-relay \| chainmail\.yaml:5 \| chainmail-probe-[0-9a-f]+@chainmail-probe\.invalid \| 554 5\.7\.1 \| 250 2\.1\.5 \|$/m);
    expect(md).toMatch(/:x: \*\*chainmail probe\*\*: 3 drift, 0 inconclusive, 5 probes\n$/);
  });
});

const openssl = findTool('openssl');
if (!openssl && process.env['CI']) throw new Error('openssl not found; CI is set, so the STARTTLS test fails instead of skipping');

describe.skipIf(!openssl)('probe over STARTTLS (the embedded relay with a certificate)', () => {
  let org: Org;
  let gw: Awaited<ReturnType<typeof startSystem>>;
  beforeAll(async () => {
    org = makeOrg(YAML);
    const key = join(org.dir, 'key.pem');
    const cert = join(org.dir, 'cert.pem');
    execFileSync(openssl ?? 'openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=gw.relay.test'], { stdio: 'ignore' });
    gw = await startSystem(org, 'gw', { listen: { host: '127.0.0.1', port: 0 }, tls: { cert, key } });
  });
  afterAll(async () => {
    await gw?.close();
    org?.cleanup();
  });

  it.each([
    ['auto', ', TLS'],
    ['never', ''],
    ['require', ', TLS'],
  ])('--starttls %s', async (mode, shown) => {
    const r = await cli(['probe', 'chainmail.yaml', '--rate', '0', '--starttls', mode, '--host', `gw=127.0.0.1:${gw.address().port}`], org.dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`gw (127.0.0.1:${gw.address().port}${shown}): 5 probes, 5 as the file says, 0 drift`);
  });
});
