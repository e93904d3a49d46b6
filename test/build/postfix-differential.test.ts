import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePostfix } from '../../src/compile/targets/postfix/postfix.js';
import { foldCase } from '../../src/normalize/casefold.js';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { resolve, type Decision, type Origin } from '../../src/routing/resolve.js';
import type { RoutingTable } from '../../src/routing/table.js';
import { orgConfig, orgSpec, OrgFiles, type OrgSpec } from '../property/org-arbitrary.js';
import { RawSmtp } from '../relay/support/smtp-client.js';
import { eventually, makePostfixDirs, startPostfix, type PostfixInstance } from '../support/postfix-gateway.js';
import { requirePostfixInstance } from '../support/postfix-instance.js';
import { findTool, freePort, run } from '../support/tools.js';

/**
 * The differential test: generated organisations (test/property/org-arbitrary.ts, with an
 * IDN domain, a UTF-8 local part and a chain), one system of each made a Postfix system at
 * the first, a middle or the last place of its chain, built with the postfix target and run
 * as a private Postfix on loopback. Every recipient the file names, an unknown one per
 * domain, case variants, both label forms and a syntax error are then sent to it:
 *
 * - over SMTP (RCPT TO, with SMTPUTF8): the reply code against resolve() with the origins
 *   'internet' and 'peer' (to Postfix both are the same anonymous smtpd client);
 * - by the instance's own sendmail(1): where the mail went (local delivery, the port of the
 *   next hop, the default route, or a bounce with its status), read from the log, against
 *   resolve() with the origin 'local' (rewrites followed at the system).
 *
 * Every next hop is 127.0.0.1 at a port where nothing listens: Postfix logs the refused
 * connection with its port, and no traffic leaves loopback. Bounded by count (ORGS).
 */
const ORGS = Number(process.env.CHAINMAIL_DIFFERENTIAL_ORGS ?? 6);
const SEED = 14_014;
const ready = requirePostfixInstance();

/** The same organisation, with an IDN domain and a UTF-8 local part, and every host on loopback. */
function localise(config: unknown, ports: ReadonlyMap<string, number>): unknown {
  if (typeof config === 'string') {
    let s = config.replaceAll('b.example', '例え.jp').replaceAll('u2@', 'Ü2@');
    for (const [host, port] of ports) s = s.replaceAll(host, `[127.0.0.1]:${port}`);
    return s;
  }
  if (Array.isArray(config)) return config.map((x) => localise(x, ports));
  if (config && typeof config === 'object') return Object.fromEntries(Object.entries(config).map(([k, v]) => [localise(k, ports) as string, localise(v, ports)]));
  return config;
}

function addresses(config: unknown, out: Set<string>): Set<string> {
  if (typeof config === 'string' && /^[^@\s]+@[^@\s]+$/.test(config.replace(/^smtp:/i, ''))) out.add(config.replace(/^smtp:/i, ''));
  else if (Array.isArray(config)) for (const x of config) addresses(x, out);
  else if (config && typeof config === 'object') for (const v of Object.values(config)) addresses(v, out);
  return out;
}

type Place = 'first' | 'middle' | 'last';

/** The spec with the system at `place` of its first chain made a Postfix system. */
function withPostfix(spec: OrgSpec, place: Place): { spec: OrgSpec; system: number } | undefined {
  const order = spec.chains[0]?.order;
  if (!order || order.length < 2) return undefined;
  const at = place === 'first' ? 0 : place === 'last' ? order.length - 1 : Math.min(1, order.length - 2);
  const system = order[at] ?? 0;
  // a gateway that validates recipients at RCPT (every system of the chain lists its own):
  // the case where SMTP and local submission differ
  const validate = place === 'first';
  const chains = spec.chains.map((c, i) => (i === 0 && validate ? { ...c, reject: true } : c));
  // the generator's hopLimit (often 1..6) stays: sendmail submits each message with
  // hopLimit - 1 Received: headers, the most the engine lets through (docs/postfix.md)
  const systems = spec.systems.map((s, i) => ({ ...s, ...(i === system ? { kind: 'postfix' as const } : {}), ...(validate && order.includes(i) ? { lists: true } : {}) }));
  return { spec: { ...spec, chains, systems }, system };
}

/** What the engine says a sendmail submission at `table` becomes (rewrites followed there). */
function engineLocal(table: RoutingTable, rcpt: string, received: number): string {
  let address = rcpt;
  for (let i = 0; i < 5; i++) {
    const d: Decision = resolve(table, address, { origin: 'local', received });
    if (d.kind === 'rewrite') {
      address = d.to;
      continue;
    }
    if (d.kind === 'refuse' || d.kind === 'loop') return `bounce ${d.status}`;
    if (d.kind === 'deliver') return 'local';
    if (d.kind === 'forward') return `port ${d.nextHop.hosts[0]?.port ?? '?'}`;
    return 'default';
  }
  return 'rewrite loop';
}

/** Where Postfix took each submitted recipient, from the log's delivery status lines. */
function postfixLocal(log: string, rcpt: string, defaultPort: number): string | undefined {
  const key = foldCase(rcpt);
  let found: string | undefined;
  for (const line of log.split('\n')) {
    const m = /: to=<([^>]*)>,(?: orig_to=<([^>]*)>,)? relay=([^,]*),.*?dsn=([\d.]+), status=(\w+) \((.*)\)$/.exec(line);
    if (!m) continue;
    const [, to = '', orig, relay = '', dsn = '', , detail = ''] = m;
    if (foldCase(orig ?? to) !== key) continue;
    const port = /127\.0\.0\.1\]:(\d+)/.exec(`${relay} ${detail}`)?.[1];
    if (relay === 'local') found = 'local';
    else if (port !== undefined) found = Number(port) === defaultPort ? 'default' : `port ${port}`;
    else if (dsn.startsWith('5.')) found = `bounce ${dsn}`;
    else found = `other ${relay} ${dsn} ${detail}`;
  }
  return found;
}

describe.skipIf(!ready)('Postfix built from the artifacts agrees with the engine on generated organisations (real postfix)', () => {
  const files = new OrgFiles();
  const work = mkdtempSync(join(tmpdir(), 'chainmail-differential-'));
  afterAll(() => {
    files.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it(`${ORGS} organisations, Postfix first, middle and last, three entry paths`, async () => {
    const specs = fc.sample(orgSpec({ tame: true }), { numRuns: ORGS * 4, seed: SEED });
    const places: Place[] = ['first', 'middle', 'last'];
    const disagreements: string[] = [];
    let probes = 0;
    let orgs = 0;
    for (const raw of specs) {
      if (orgs >= ORGS) break;
      const chosen = withPostfix(raw, places[orgs % 3] ?? 'first');
      if (!chosen) continue;
      const ports = new Map<string, number>();
      for (let i = 0; i < chosen.spec.n; i++) ports.set(`[10.0.0.${i + 1}]`, await freePort());
      for (const h of ['[192.0.2.99]', '[192.0.2.98]']) ports.set(h, await freePort());
      const config = localise(orgConfig(chosen.spec), ports) as Record<string, unknown>;
      const loaded = files.load(config);
      if (!loaded.model) continue;
      const system = `s${chosen.system}`;
      const table = compileRoutingTables(loaded.model).get(system);
      const dirs = makePostfixDirs();
      const problems: string[] = [];
      const out = compilePostfix(loaded.model, { postfixDir: dirs.maps }, problems);
      if (!table || problems.length > 0) {
        rmSync(dirs.base, { recursive: true, force: true });
        continue;
      }
      orgs++;
      const artifacts = join(work, String(orgs));
      mkdirSync(artifacts);
      const defaultPort = await freePort();
      for (const f of out.filter((x) => x.path.startsWith(`${system}/postfix/`))) {
        let content = String(f.content);
        if (f.path.endsWith('main.cf')) {
          // test-only: no error pauses or limits for a burst of refused RCPTs, and a default
          // route on loopback instead of an MX lookup
          content += 'smtpd_error_sleep_time = 0\nsmtpd_soft_error_limit = 10000\nsmtpd_hard_error_limit = 10000\n';
          // (relay_domains without a transport entry use relay_transport, the rest
          // default_transport, each by the domain's MX: "default" in both engine and here)
          content += `relay_transport = relay:[127.0.0.1]:${defaultPort}\n`;
          if (!/^relayhost = /m.test(content)) content += `default_transport = smtp:[127.0.0.1]:${defaultPort}\n`;
        }
        writeFileSync(join(artifacts, f.path.slice(f.path.lastIndexOf('/') + 1)), content);
      }
      let postfix: PostfixInstance | undefined;
      try {
        postfix = await startPostfix(dirs, artifacts, await freePort());
        const known = [...addresses(config, new Set())].filter((a) => !a.endsWith('.0.2.99]'));
        const domains = ['a.example', '例え.jp', 'xn--r8jz45g.jp', 'r.example', 'outside.example', 'elsewhere.test'];
        const recipients = [...new Set([...known, ...known.map((a) => a.toUpperCase()), ...known.map((a) => a.replace('例え.jp', 'xn--r8jz45g.jp')), ...domains.map((d) => `nobody@${d}`)])];
        const where = `org ${orgs} (${places[(orgs - 1) % 3]}: ${system})`;
        // SMTP: internet and peer
        const { client } = await RawSmtp.open(postfix.port);
        await client.cmd('EHLO probe.test');
        expect((await client.cmd('MAIL FROM:<probe@outside.example> SMTPUTF8')).code).toBe(250);
        // sender-specified routing in the local part: Postfix refuses it as relaying (554 5.7.1)
        const routed = ['bad@@a.example', 'u1%elsewhere.test@a.example', 'elsewhere.test!u1@a.example', '"u1@elsewhere.test"@a.example', 'u1@elsewhere.test@例え.jp'];
        for (const rcpt of [...recipients, ...routed]) {
          const r = await client.cmd(`RCPT TO:<${rcpt}>`);
          for (const origin of ['internet', 'peer'] as Origin[]) {
            const d = resolve(table, rcpt, { origin, received: 0 });
            const want = d.kind === 'refuse' || d.kind === 'loop' ? d.code : 250;
            probes++;
            if (r.code !== want) disagreements.push(`${where} SMTP ${origin} ${rcpt}: engine ${want} (${d.reason.text}), postfix ${r.raw}`);
          }
        }
        await client.cmd('QUIT');
        // local submission: sendmail(1) of this instance, one message per recipient
        const sendmail = findTool('sendmail') ?? '/usr/sbin/sendmail';
        // as many Received: headers as the engine lets through: Postfix adds its own and
        // counts it (postconf(5) hopcount_limit), which main.cf's hopLimit + 1 allows for
        const received = table.hopLimit - 1;
        const trace = Array.from({ length: received }, (_, i) => `Received: from hop${i}.test by hop${i + 1}.test; Mon, 7 Dec 2026 12:00:00 +0000\n`).join('');
        for (const rcpt of recipients) {
          const s = await run(sendmail, ['-C', dirs.config, '-f', '<>', '-i', '--', rcpt], `${trace}Subject: differential\n\nx\n`);
          expect(s.code, s.stderr).toBe(0);
        }
        // and one message with one header more: at the hop limit, bounced with Postfix's own status
        const hopProbe = 'hops@a.example';
        const hop = await run(sendmail, ['-C', dirs.config, '-f', '<>', '-i', '--', hopProbe], `Received: from hop.test by hop0.test; Mon, 7 Dec 2026 12:00:00 +0000\n${trace}Subject: differential\n\nx\n`);
        expect(hop.code, hop.stderr).toBe(0);
        const localProbes = [...recipients, hopProbe];
        const pf = postfix;
        const settled = await eventually(() => localProbes.every((r) => postfixLocal(pf.log(), r, defaultPort) !== undefined), 60_000);
        for (const rcpt of localProbes) {
          const want = engineLocal(table, rcpt, rcpt === hopProbe ? received + 1 : received);
          const got = postfixLocal(pf.log(), rcpt, defaultPort);
          probes++;
          const line = pf.log().split('\n').findLast((l) => l.includes(`<${rcpt}>`) && l.includes('status=')) ?? '';
          if (want !== got) disagreements.push(`${where} sendmail ${rcpt}: engine ${want}, postfix ${got ?? (settled ? 'nothing' : 'not settled')}: ${line.slice(line.indexOf('to=<'))}`);
        }
      } finally {
        await postfix?.stop();
      }
    }
    console.log(`postfix differential: ${orgs} organisations, ${probes} probes, ${disagreements.length} disagreements`);
    expect(orgs).toBe(ORGS);
    expect(disagreements).toEqual([]);
  }, 600_000);
});
