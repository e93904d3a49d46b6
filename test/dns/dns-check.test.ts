import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile.js';
import { loadModel } from '../../src/pipeline.js';
import { repoRoot, run } from '../cli/support.js';
import { startNamed, zoneAround, type Named } from '../support/named.js';
import { freePort, requireTool } from '../support/tools.js';

/**
 * `chainmail dns-check` against a private named: the seed's method 1 published as built
 * (example.com: no drift), and the same organisation as example.org with drifted records
 * (an old MX, an SPF record without the UNIX server and over the lookup limit, no DMARC).
 */
const named = requireTool('named');
const METHOD1 = join(repoRoot, 'examples/method1/chainmail.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'chainmail-dns-check-'));
const ORG = join(tmp, 'example-org.yaml');
writeFileSync(ORG, readFileSync(METHOD1, 'utf8').replaceAll('example.com', 'example.org'));

function fragment(file: string): string {
  const model = loadModel(file).model;
  if (!model) throw new Error('no model');
  const f = compile(model, { targets: ['dns'] }).find((x) => x.path.startsWith('dns/bind/'));
  return typeof f?.content === 'string' ? f.content : '';
}

describe.skipIf(!named)('chainmail dns-check', () => {
  let dns: Named;
  beforeAll(async () => {
    const hosts = Array.from({ length: 9 }, (_, i) => `h${i + 1} IN A 192.0.2.${i + 1}`);
    dns = await startNamed(
      named ?? '',
      {
        'example.com': zoneAround('example.com', 'example.com.fragment'),
        'example.org': zoneAround('example.org', 'empty.fragment', [
          '@ IN MX 10 mx.old-provider.example.net.',
          '@ IN TXT "v=spf1 ip4:203.0.113.25 include:_spf.example.org include:gone.example.org -all"',
          `_spf IN TXT "v=spf1 ${Array.from({ length: 9 }, (_, i) => `a:h${i + 1}.example.org`).join(' ')} -all"`,
          ...hosts,
        ]),
      },
      (dir) => {
        writeFileSync(join(dir, 'example.com.fragment'), fragment(METHOD1));
        writeFileSync(join(dir, 'empty.fragment'), '');
      },
    );
  }, 120_000);
  afterAll(async () => {
    await dns?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('finds no drift where the built records are published (method 1)', async () => {
    const r = await run(['dns-check', 'examples/method1/chainmail.yaml', '--resolver', dns.server]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('  mx          ok      as the model builds it');
    expect(r.stdout).toContain('  spf-lookups ok      0 DNS lookups (limit 10), 0 void (limit 2)');
    expect(r.stdout).toMatch(/4 ok, 0 drift, 0 errors\n$/);
    expect(r.code).toBe(0);
  });

  it('reports MX and SPF drift, the lookup limit, a void lookup and a missing DMARC record', async () => {
    const r = await run(['dns-check', ORG, '--resolver', dns.server, '--format', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { domains: { domain: string; checks: { record: string; status: string; message: string }[] }[] };
    expect(out.domains.map((d) => d.domain)).toEqual(['example.org']);
    expect(out.domains[0]?.checks.map((c) => [c.record, c.status, c.message])).toEqual([
      ['mx', 'drift', 'not published: 10 mail.example.org; not in the model: 10 mx.old-provider.example.net'],
      ['spf', 'drift', 'not published: ip4:203.0.113.26; not in the model: include:_spf.example.org include:gone.example.org'],
      ['spf-lookups', 'drift', '11 DNS lookups (limit 10), 1 void (limit 2): include:gone.example.org: receivers return permerror (RFC 7208 4.6.4)'],
      ['dmarc', 'missing', 'no DMARC record is published'],
    ]);
  });

  it('checks only the domains asked for, and refuses one the file does not publish', async () => {
    const ok = await run(['dns-check', 'examples/method1/chainmail.yaml', '--resolver', dns.server, '--domain', 'EXAMPLE.COM.']);
    expect(ok.code).toBe(0);
    const bad = await run(['dns-check', 'examples/method1/chainmail.yaml', '--resolver', dns.server, '--domain', 'example.local']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--domain "example.local" is not published by .*; it publishes example.com/);
  });
});

describe('chainmail dns-check usage', () => {
  it.each<[string, string[], RegExp]>([
    ['no resolver', [], /--resolver HOST:PORT is required/],
    ['a host name', ['--resolver', 'dns.example.net:53'], /needs an IP address and a port/],
    ['no port', ['--resolver', '127.0.0.1'], /needs an IP address and a port/],
    ['IPv6 without brackets', ['--resolver', '::1:53'], /needs an IP address and a port/],
    ['a bad format', ['--resolver', '127.0.0.1:53', '--format', 'xml'], /unknown --format "xml"/],
  ])('exits 2 with %s', async (_, args, message) => {
    const r = await run(['dns-check', 'examples/method1/chainmail.yaml', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 when the resolver does not answer (nothing listens on the port)', async () => {
    const port = await freePort();
    const r = await run(['dns-check', 'examples/method1/chainmail.yaml', '--resolver', `127.0.0.1:${port}`, '--timeout', '500']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/mx\s+error\s+the resolver answered E[A-Z]+/);
  });
});
