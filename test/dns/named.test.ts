import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spf } from 'mailauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile.js';
import { bindTxt } from '../../src/compile/targets/dns/escape.js';
import { emit } from '../../src/compile/emit.js';
import { loadModel } from '../../src/pipeline.js';
import { startNamed, zoneAround, type Named } from '../support/named.js';
import { requireTools, run } from '../support/tools.js';
import { writeModel } from './support.js';

/**
 * Must show (issue 18): the BIND fragment passes the real named-checkzone, a real named
 * serves it on loopback, and the published SPF evaluates `pass` for each sending system's
 * address and `fail` for another, decided by a maintained SPF library (mailauth) that
 * asks that named, never by code of ours.
 */
const tools = requireTools('named', 'named-checkzone');

/** Builds the dns target of a model and returns each domain's BIND fragment. */
function fragments(file: string): Map<string, string> {
  const loaded = loadModel(file);
  if (!loaded.model) throw new Error('no model');
  const files = emit(compile(loaded.model, { targets: ['dns'] }), { version: 'test', input: { file: 'chainmail.yaml', sha256: '0'.repeat(64), files: [] } });
  const out = new Map<string, string>();
  for (const f of files) {
    const m = /^dns\/bind\/(.+)\.zone$/.exec(f.path);
    if (m?.[1] && typeof f.content === 'string') out.set(m[1], f.content);
  }
  return out;
}

describe.skipIf(!tools)('the BIND fragment in a real named', () => {
  let named: Named;
  // 40 outbound addresses make the SPF record longer than 510 octets: three TXT strings
  const many = Array.from({ length: 40 }, (_, i) => `203.0.113.${i + 1}`);
  const spec = writeModel({
    exchange: { host: 'mail.example.com', sends: { domains: ['example.com'], ip: many, dkim: ['ex1'] } },
    // no sends.ip: SPF names its host by address (an IP host) or by a: (a name)
    unix: { host: '[192.0.2.10]', sends: { domains: ['example.com'], dkim: ['unix1'] } },
    relay: { host: 'relay.example.com', sends: { domains: ['example.com'], dkim: ['relay1'] } },
    // a provider that sends for the gateway: an include served by the same named
    cloud: { host: 'smtp.mailer.example.net', sends: { domains: ['example.com'], spf: ['include:_spf.mailer.example.net'], dkim: ['cloud1'] } },
  });
  const zones = fragments(spec);
  // bindTxt's escaping, read back by the real named: quotes, backslashes, ";", control
  // characters, UTF-8, 255-octet boundaries
  const nasty = ['a"b', 'a\\b', 'v=DMARC1; p=reject', 'a\nb\tc\u0000d', '例え.jp ü', 'x'.repeat(255), `${'y'.repeat(254)}é`, `${'"'.repeat(200)}${'\\'.repeat(100)}`, ''];
  const frag = zones.get('example.com') ?? '';

  beforeAll(async () => {
    if (!tools) return;
    named = await startNamed(
      tools.named,
      {
        'example.com': zoneAround('example.com', 'example.com.fragment', ['relay IN A 198.51.100.40', 'mail IN A 203.0.113.1']),
        'escape.example.org': zoneAround('escape.example.org', 'empty.fragment', nasty.map((v, i) => `t${i} IN TXT ${bindTxt(v)}`)),
        'mailer.example.net': zoneAround('mailer.example.net', 'empty.fragment', ['_spf IN TXT "v=spf1 ip4:192.0.2.128/25 -all"']),
      },
      (dir) => {
        writeFileSync(join(dir, 'example.com.fragment'), frag);
        writeFileSync(join(dir, 'empty.fragment'), '');
      },
    );
  }, 120_000);
  afterAll(async () => {
    await named?.stop();
  });

  it('passes named-checkzone', async () => {
    const r = await run(tools?.['named-checkzone'] ?? '', ['-k', 'fail', '-i', 'local', 'example.com', join(named.dir, 'example.com.db')]);
    expect(r.stdout + r.stderr).toMatch(/OK/);
    expect(r.code).toBe(0);
  });

  it('is served: MX, SPF in three strings, DMARC', async () => {
    const r = named.resolver();
    expect(await r.resolveMx('example.com')).toEqual([{ exchange: 'mail.example.com', priority: 10 }]);
    const txt = await r.resolveTxt('example.com');
    expect(txt).toHaveLength(1);
    expect(txt[0]?.length).toBe(3);
    expect(txt[0]?.every((s) => Buffer.byteLength(s) <= 255)).toBe(true);
    expect(txt[0]?.join('')).toMatch(/^v=spf1 ip4:192\.0\.2\.10 ip4:203\.0\.113\.1 .* a:relay\.example\.com include:_spf\.mailer\.example\.net -all$/);
    expect(await r.resolveTxt('_dmarc.example.com')).toEqual([['v=DMARC1; p=reject; rua=mailto:dmarc@example.com']]);
  });

  it('serves every nasty TXT value back exactly (named-checkzone accepts the zone too)', async () => {
    const check = await run(tools?.['named-checkzone'] ?? '', ['-k', 'fail', 'escape.example.org', join(named.dir, 'escape.example.org.db')]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const r = named.resolver();
    const served = await Promise.all(nasty.map(async (_, i) => (await r.resolveTxt(`t${i}.escape.example.org`))[0]));
    expect(served.map((chunks) => Buffer.concat((chunks ?? []).map((c) => Buffer.from(c, 'latin1'))).toString('utf8'))).toEqual(nasty);
  });

  it.each([
    ['exchange (first TXT string)', '203.0.113.1', 'pass'],
    ['exchange (in the third TXT string)', '203.0.113.9', 'pass'],
    ['unix (its host address)', '192.0.2.10', 'pass'],
    ['relay (a: its host name)', '198.51.100.40', 'pass'],
    ['cloud (the provider include)', '192.0.2.200', 'pass'],
    ['another host', '198.51.100.99', 'fail'],
    ['an address next to the provider range', '192.0.2.127', 'fail'],
  ])('mailauth evaluates %s as %s', async (_, ip, want) => {
    const r = named.resolver();
    const result = await spf({
      sender: 'alice@example.com',
      ip,
      helo: 'client.example.org',
      mta: 'mx.receiver.example.org',
      resolver: (name: string, type: string) => r.resolve(name, type) as Promise<string[] | string[][]>,
    });
    expect(result.status.result).toBe(want);
  });
});

it('a model of these tests lints without errors', async () => {
  const { lint } = await import('../../src/analyze/lint.js');
  const spec = writeModel({ exchange: { host: 'mail.example.com', sends: { domains: ['example.com'], ip: ['203.0.113.1'], dkim: ['a'] } } });
  const r = lint(loadModel(spec));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
});
