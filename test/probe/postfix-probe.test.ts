import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, makePostfixDirs, startPostfix, type PostfixInstance } from '../support/postfix-gateway.js';
import { findTool, freePort, requireTools, run } from '../support/tools.js';
import { cli } from './support.js';

/**
 * `chainmail probe` against a private Postfix on loopback deployed from `chainmail build`
 * artifacts of the gateway fixture: no drift as built, then one hand edit at a time on the
 * live instance, each of which must be reported as exactly that difference.
 */
const tools = requireTools('postfix', 'postmap', 'postconf');
const FIXTURE = new URL('../../testdata/compile/003-postfix-gateway/chainmail.yaml', import.meta.url).pathname;

interface Json {
  systems: { system: string; probes: number; drift: number; inconclusive: number; results: { address: string; class: string; verdict: string }[] }[];
  differences: { ruleId: string; address: string; class: string; line: number; file: string }[];
}

describe.skipIf(!tools)('probe a Postfix gateway built by chainmail (real postfix)', () => {
  let work: string;
  let postfix: PostfixInstance | undefined;
  let artifacts: string;
  const yamlText = readFileSync(FIXTURE, 'utf8');
  const lineOf = (needle: string): number => yamlText.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const postconf = (...args: string[]) => run(findTool('postconf') ?? 'postconf', ['-c', postfix?.dirs.config ?? '', ...args]);
  const postmap = (file: string) => run(findTool('postmap') ?? 'postmap', ['-c', postfix?.dirs.config ?? '', `hash:${file}`]);
  // bounded by an event: master(8) logs "reload" once it has re-read main.cf and told the
  // old smtpd processes to go
  const reloads = (): number => (postfix?.log() ?? '').split('\n').filter((l) => / reload -- version /.test(l)).length;
  const reload = async (): Promise<void> => {
    const before = reloads();
    const r = await run(findTool('postfix') ?? 'postfix', ['-c', postfix?.dirs.config ?? '', 'reload']);
    expect(r.code, r.stderr).toBe(0);
    expect(await eventually(() => reloads() > before), postfix?.log()).toBe(true);
  };
  const probe = async (): Promise<{ code: number; json: Json; stderr: string }> => {
    const r = await cli(['probe', 'chainmail.yaml', '--system', 'gw', '--recipients', 'all', '--rate', '0', '--host', `gw=127.0.0.1:${postfix?.port ?? 0}`, '--format', 'json'], work);
    const json = JSON.parse(r.stdout) as Json;
    return { code: r.code, json, stderr: r.stderr };
  };
  const mapFile = (name: string): string => join(postfix?.dirs.maps ?? '', name);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'chainmail-probe-pf-'));
    writeFileSync(join(work, 'chainmail.yaml'), yamlText);
    const dirs = makePostfixDirs();
    const out = join(work, 'out');
    const b = await cli(['build', 'chainmail.yaml', '--out', out, '--target', 'postfix,routes', '--postfix-dir', dirs.maps], work);
    if (b.code !== 0) throw new Error(`build failed: ${b.stderr}`);
    artifacts = join(out, 'gw', 'postfix');
    postfix = await startPostfix(dirs, artifacts, await freePort());
  });
  afterAll(async () => {
    await postfix?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Puts the instance back as built: the maps, postmap, main.cf, reload. */
  beforeEach(async () => {
    for (const m of ['relay_domains', 'relay_recipients']) {
      writeFileSync(mapFile(m), readFileSync(join(artifacts, m)));
      expect((await postmap(mapFile(m))).code).toBe(0);
    }
    const lines = readFileSync(join(artifacts, 'main.cf'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect((await postconf('-e', ...lines, 'mynetworks =')).code).toBe(0);
    await reload();
  });

  // the U-label recipient too: the maps list 例え.jp beside xn--r8jz45g.jp, since Postfix
  // looks a UTF-8 domain up as the client wrote it
  it('reports no drift for every class of recipient as built', async () => {
    const { code, json, stderr } = await probe();
    expect(json.differences, stderr).toEqual([]);
    const gw = json.systems[0];
    expect(gw?.results.filter((r) => r.verdict !== 'ok').map((r) => [r.address, r.class, r.verdict])).toEqual([]);
    expect(gw?.results.some((r) => r.class === 'u-label' && r.address === 'yamada@例え.jp')).toBe(true);
    expect(code).toBe(0);
    expect(gw?.drift).toBe(0);
    expect(gw?.inconclusive).toBe(0);
    const classes = new Set(gw?.results.map((r) => r.class));
    expect([...classes].sort()).toEqual(['alias', 'case-variant', 'contact', 'foreign', 'mailbox', 'other-domain', 'other-system', 'subdomain', 'u-label', 'unknown']);
  });

  it('smtpd_recipient_limit below a batch: 452 4.5.3, the rest in further transactions, the same result as built', async () => {
    expect((await postconf('-e', 'smtpd_recipient_limit = 4')).code).toBe(0);
    await reload();
    try {
      const { json } = await probe();
      expect(json.differences).toEqual([]);
      const gw = json.systems[0];
      expect(gw?.inconclusive).toBe(0);
      // every probe answered as predicted (the U-label domain too, since the maps list both forms)
      expect(gw?.results.filter((r) => r.verdict !== 'ok').map((r) => r.address)).toEqual([]);
      // more recipients than one transaction may hold, so the limit was met
      expect(gw?.probes).toBeGreaterThan(8);
    } finally {
      expect((await postconf('-X', 'smtpd_recipient_limit')).code).toBe(0);
    }
  });

  it('one recipient removed from relay_recipients: mail loss at that mailbox', async () => {
    const file = mapFile('relay_recipients');
    writeFileSync(file, readFileSync(file, 'utf8').replace('bob@example.com OK\n', ''));
    await postmap(file);
    await reload();
    const { code, json } = await probe();
    expect(json.differences.map((d) => [d.ruleId, d.address, d.class, d.line])).toEqual([['probe-mail-loss', 'bob@example.com', 'other-system', lineOf('- bob@example.com')]]);
    expect(code).toBe(1);
  });

  // example.net, authoritative on gw, keeps refusing: its transport entry is error:5.1.1
  // (what mail submitted locally gets), and smtpd refuses a recipient that resolves to the
  // error(8) transport at RCPT time
  it('relay_recipient_maps removed from main.cf: backscatter for the unknown recipient of each checked domain', async () => {
    expect((await postconf('-X', 'relay_recipient_maps')).code).toBe(0);
    await reload();
    const { code, json } = await probe();
    // example.net is not among them: its transport entry bounces unknown recipients
    // (error:5.1.1, for local submission), which smtpd also applies at RCPT
    expect(json.differences.map((d) => [d.ruleId, d.class, d.address.replace(/-[0-9a-f]+@/, '-X@'), d.line])).toEqual([
      ['probe-backscatter', 'unknown', 'chainmail-probe-X@example.com', lineOf('{ space: "@example.com", authoritative: false }')],
      ['probe-backscatter', 'unknown', 'chainmail-probe-X@xn--r8jz45g.jp', lineOf('{ space: "@例え.jp", authoritative: false }')],
    ]);
    expect(code).toBe(1);
  });

  it('smtpd_relay_restrictions with permit_mynetworks and the probe in mynetworks: open relay', async () => {
    expect((await postconf('-e', 'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination', 'mynetworks = 127.0.0.0/8')).code).toBe(0);
    await reload();
    const { code, json } = await probe();
    // every probe of a domain the gateway must not relay to, each at its object: the
    // foreign domain at the system, example.local at its declaration, each subdomain at the
    // policy address of its parent; the recipients of accepted domains are unchanged
    expect(json.differences.map((d) => [d.ruleId, d.class, d.address.replace(/-[0-9a-f]+@/, '-X@'), d.line]).sort()).toEqual(
      [
        ['probe-open-relay', 'foreign', 'chainmail-probe-X@chainmail-probe.invalid', lineOf('  gw:')],
        ['probe-open-relay', 'other-domain', 'chainmail-probe-X@example.local', lineOf('  example.local:')],
        ['probe-open-relay', 'subdomain', 'postmaster@chainmail-probe.example.com', lineOf('{ space: "@example.com", authoritative: false }')],
        ['probe-open-relay', 'subdomain', 'postmaster@chainmail-probe.example.net', lineOf('space: "@example.net"')],
        ['probe-open-relay', 'subdomain', 'postmaster@chainmail-probe.xn--r8jz45g.jp', lineOf('{ space: "@例え.jp", authoritative: false }')],
        ['probe-open-relay', 'subdomain', 'postmaster@chainmail-probe.partner.example', lineOf('{ space: "@partner.example", authoritative: false }')],
      ].sort(),
    );
    expect(code).toBe(1);
  });

  it('a domain added to relay_domains that the file does not accept there: extra domain, at that domain', async () => {
    const file = mapFile('relay_domains');
    writeFileSync(file, `${readFileSync(file, 'utf8')}example.local OK\n`);
    await postmap(file);
    await reload();
    const { code, json } = await probe();
    expect(json.differences.map((d) => [d.ruleId, d.address.replace(/-[0-9a-f]+@/, '-X@'), d.class, d.line])).toEqual([
      ['probe-extra-domain', 'chainmail-probe-X@example.local', 'other-domain', lineOf('  example.local:')],
    ]);
    expect(code).toBe(1);
  });
});
