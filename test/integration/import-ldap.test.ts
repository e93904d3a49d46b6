import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lint, loadModel, route } from '../../src/index.js';
import { adPopulation, AD_SUFFIX, directoryYaml, SERVICE_DN, SERVICE_PASSWORD, startAdSlapd, type AdRecipient } from '../support/ad-directory.js';
import { cli } from '../diff/support.js';
import type { Slapd } from '../support/slapd.js';
import { useTempTree } from '../support/temp-tree.js';
import { findTool, requireTools, run } from '../support/tools.js';
import { repoRoot } from '../cli/support.js';

/** The built CLI (npm test builds it first): a real process whose argv ps shows. */
const BIN = join(repoRoot, 'dist', 'cli', 'bin.js');

const tools = requireTools('slapd', 'slapadd', 'ldapsearch', 'ldapadd');
const USERS = 5000;
const CONTACTS = 500;
const population = adPopulation(USERS, CONTACTS);
const tree = useTempTree('import-ldap');
const ENV = { CHAINMAIL_LDAP_PASSWORD: SERVICE_PASSWORD };

/** The organisation: exchange's recipients come from the directory, into recipients.yaml. */
const ORG = (url: string, include: string): string => `version: 1
directory: { baseDn: "${AD_SUFFIX}" }
domains:
  example.com: {}
  partner.example.net: { remote: true }
systems:
  exchange:
    kind: exchange
    host: "[10.0.0.5]"
    gateway: true
    forwardUnresolvedTo: null
${directoryYaml(url)}policies:
  - name: Default Policy
    system: exchange
    default: true
    addresses: [{ space: "@example.com", primary: true, authoritative: true }]
  - name: partner
    system: exchange
    filter: null
    addresses: [{ space: "@partner.example.net", authoritative: false }]
connectors:
  - { name: partner, system: exchange, addressSpaces: [partner.example.net], smartHosts: ["[192.0.2.25]"], allowRelay: true }
include: [${include}]
`;

/** The same recipients typed by hand, written straight from the population (not via the import). */
function byHand(recipients: readonly AdRecipient[]): string {
  const strip = (p: string): string => p.replace(/^smtp:/i, '');
  const lines = ['systems:', '  exchange:', '    mailboxes:'];
  for (const r of recipients.filter((x) => x.targetAddress === undefined)) {
    const mail = r.proxyAddresses.filter((p) => /^smtp:/i.test(p)).map(strip);
    lines.push(`      - { address: "${mail[0]}", aliases: [${mail.slice(1).map((a) => `"${a}"`).join(', ')}] }`);
  }
  lines.push('contacts:');
  for (const r of recipients.filter((x) => x.targetAddress !== undefined)) {
    const target = strip(r.targetAddress ?? '');
    const secondaries = r.proxyAddresses.map(strip).filter((a) => a.toLowerCase() !== target.toLowerCase());
    const names = `givenName: "${r.givenName ?? ''}", sn: "${r.sn ?? ''}", mailNickname: "${r.mailNickname ?? ''}"`;
    lines.push(`  - { cn: "${r.cn}", ou: Contacts, system: exchange, ${names}, targetAddress: "${target}", proxyAddresses: [${secondaries.map((a) => `"${a}"`).join(', ')}] }`);
  }
  return `${lines.join('\n')}\n`;
}

describe.skipIf(!tools)('import ldap against a real slapd with an AD-like schema', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startAdSlapd(population);
  }, 120_000);
  afterAll(async () => slapd?.stop());

  it('the server refuses an unpaged search past 1,000 entries, and pages it', async () => {
    const base = ['-x', '-LLL', '-H', slapd.url, '-D', SERVICE_DN, '-w', SERVICE_PASSWORD, '-b', AD_SUFFIX, '(proxyAddresses=smtp:*)', '1.1'];
    const unpaged = await run(tools?.ldapsearch ?? '', base);
    expect(unpaged.code).toBe(4); // sizeLimitExceeded (RFC 4511 section 4.1.9)
    const paged = await run(tools?.ldapsearch ?? '', ['-E', 'pr=1000/noprompt', ...base]);
    expect(paged.code).toBe(0);
    expect(paged.stdout.split('\n').filter((l) => l.startsWith('dn:'))).toHaveLength(population.length);
  });

  it('imports every entry with the paged results control, and the snapshot lints and routes like the file typed by hand', async () => {
    const main = tree.write('org.yaml', ORG(slapd.url, 'recipients.yaml'));
    const r = await cli(['import', 'ldap', '--config', main, '--system', 'exchange'], tree.dir, { env: ENV });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`wrote recipients.yaml: ${population.length} entries read; ${population.length} added, 0 removed, 0 changed\\n$`));
    const snapshot = readFileSync(join(tree.dir, 'recipients.yaml'), 'utf8');
    expect(snapshot.split('\n')[1]).toBe(`# source: ${slapd.url.replace(/\/$/, '')} base "${AD_SUFFIX}" filter "(proxyAddresses=smtp:*)" bind "${SERVICE_DN}"`);
    expect(snapshot).not.toContain(SERVICE_PASSWORD);
    expect(snapshot).not.toMatch(/X500/i);

    tree.write('hand.yaml', byHand(population));
    const handMain = tree.write('org-hand.yaml', ORG(slapd.url, 'hand.yaml'));
    const viaLdap = loadModel(main, { cwd: tree.dir });
    const viaHand = loadModel(handMain, { cwd: tree.dir });
    const ex = viaLdap.model?.systems.get('exchange');
    expect(ex?.mailboxes).toHaveLength(USERS + 10);
    expect(viaLdap.model?.contacts).toHaveLength(CONTACTS);
    const shape = (l: ReturnType<typeof lint>): string[] => l.diagnostics.map((d) => `${d.ruleId} ${d.severity} ${d.message}`).sort();
    const lintLdap = lint(viaLdap);
    expect(shape(lintLdap)).toEqual(shape(lint(viaHand)));
    expect(lintLdap.errors).toBe(0);

    const probes = [
      ...population.flatMap((p) => p.proxyAddresses.filter((a) => /^smtp:/i.test(a)).map((a) => a.slice(5))),
      'USER7@EXAMPLE.COM',
      'nobody@example.com',
      'c3@partner.example.net',
      'someone@elsewhere.example.org',
    ];
    const routes = (m: typeof viaLdap): string[] => route(m.model!, probes).map((x) => `${x.recipient} ${JSON.stringify(x.outcome)} ${x.hops.map((h) => h.system).join('>')}`);
    expect(routes(viaLdap)).toEqual(routes(viaHand));

    // run again: nothing changed, exit 0, the file untouched
    const again = await cli(['import', 'ldap', '--config', main, '--system', 'exchange'], tree.dir, { env: ENV });
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toBe(`recipients.yaml: unchanged (${population.length} entries read)\n`);
    expect(readFileSync(join(tree.dir, 'recipients.yaml'), 'utf8')).toBe(snapshot);
  }, 300_000);

  it('prints the recipients added, removed and changed, and exits 3', async () => {
    const main = tree.write('org.yaml', ORG(slapd.url, 'recipients.yaml'));
    const filter = '(|(cn=User 1)(cn=User 2)(cn=Contact 1))';
    const first = await cli(['import', 'ldap', '--config', main, '--system', 'exchange', '--filter', filter], tree.dir, { env: ENV });
    expect(first.code).toBe(3);
    const add = `dn: cn=User 5001,ou=Users,${AD_SUFFIX}\nobjectClass: user\ncn: User 5001\nproxyAddresses: SMTP:new@example.com\n`;
    const mod = `dn: cn=User 2,ou=Users,${AD_SUFFIX}\nchangetype: modify\nadd: proxyAddresses\nproxyAddresses: smtp:second@example.com\n`;
    const added = await run(tools?.ldapadd ?? '', ['-x', '-H', slapd.url, '-D', slapd.bindDn, '-w', slapd.password], `${add}\n${mod}`);
    expect(added.stderr).toBe('');
    try {
      const next = await cli(['import', 'ldap', '--config', main, '--system', 'exchange', '--filter', filter.replace('(cn=User 1)', '(cn=User 5001)')], tree.dir, { env: ENV });
      expect(next.code).toBe(3);
      expect(next.stdout.split('\n').slice(0, -2)).toEqual([
        '+ mailbox new@example.com',
        '- mailbox user1@example.com',
        '~ mailbox user2@example.com:  -> (aliases: second@example.com)',
      ]);
    } finally {
      const undo = `dn: cn=User 5001,ou=Users,${AD_SUFFIX}\nchangetype: delete\n\ndn: cn=User 2,ou=Users,${AD_SUFFIX}\nchangetype: modify\ndelete: proxyAddresses\nproxyAddresses: smtp:second@example.com\n`;
      await run(tools?.ldapadd.replace(/ldapadd$/, 'ldapmodify') ?? '', ['-x', '-H', slapd.url, '-D', slapd.bindDn, '-w', slapd.password], undo);
    }
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['a wrong base DN', ['--base', 'ou=Nowhere,dc=example,dc=com'], ENV, /^chainmail import: the base DN "ou=Nowhere,dc=example,dc=com" does not exist on ldap:\/\/127\.0\.0\.1:\d+; check --base\n$/],
    ['a filter that is not RFC 4515', ['--filter', '(proxyAddresses=smtp:*'], ENV, /^chainmail import: the filter "\(proxyAddresses=smtp:\*" is not an RFC 4515 filter \(.*\); fix --filter\n$/],
    ['a wrong password', [], { CHAINMAIL_LDAP_PASSWORD: 'wrong-password' }, /^chainmail import: the directory refused the bind as "cn=chainmail,ou=Service,dc=example,dc=com" \(invalid credentials\); check the bind DN and the password\n$/],
    ['an unset password variable', [], {}, /^chainmail import: the environment variable CHAINMAIL_LDAP_PASSWORD is not set; put the bind password in it\n$/],
  ])('%s: one line, exit 2, the old snapshot untouched', async (_n, extra, env, message) => {
    const main = tree.write('org.yaml', ORG(slapd.url, 'recipients.yaml'));
    const before = tree.write('recipients.yaml', '# chainmail directory snapshot of system "exchange": old\nsystems:\n  exchange:\n    mailboxes: [old@example.com]\n');
    const r = await cli(['import', 'ldap', '--config', main, '--system', 'exchange', ...extra], tree.dir, { env });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain(SERVICE_PASSWORD);
    expect(readFileSync(before, 'utf8')).toContain('old@example.com');
  });

  it('a server that drops the connection mid-page: one line, exit 2, the old snapshot untouched', async () => {
    // a TCP proxy that passes the first 300,000 bytes from slapd (two pages and a bit) and then cuts both sides
    const port = Number(new URL(slapd.url).port);
    let cut = 0;
    const proxy = createServer((client) => {
      const upstream = connect(port, '127.0.0.1');
      let passed = 0;
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        passed += chunk.length;
        if (passed <= 300_000) client.write(chunk);
        else {
          cut++;
          client.destroy();
          upstream.destroy();
        }
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyPort = (proxy.address() as AddressInfo).port;
    try {
      const out = tree.write('snap.yaml', '# chainmail directory snapshot of system "x": old\n');
      const args = ['import', 'ldap', `ldap://127.0.0.1:${proxyPort}`, '--base', AD_SUFFIX, '--system', 'x', '--bind-dn', SERVICE_DN, '--password-env', 'CHAINMAIL_LDAP_PASSWORD', '--out', out];
      const r = await cli(args, tree.dir, { env: ENV });
      expect(cut).toBeGreaterThan(0);
      expect(r).toMatchObject({ code: 2, stdout: '' });
      expect(r.stderr).toMatch(/^chainmail import: the connection to ldap:\/\/127\.0\.0\.1:\d+ failed during the search after (1000|2000) entries \(.*\); nothing was written, run the import again\n$/);
      expect(readFileSync(out, 'utf8')).toBe('# chainmail directory snapshot of system "x": old\n');
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  it('reports an entry with a malformed address by its DN and imports the rest', async () => {
    const bad = `dn: cn=Broken,ou=Users,${AD_SUFFIX}\nobjectClass: user\ncn: Broken\nproxyAddresses: SMTP:broken@@example.com\n\ndn: cn=Half,ou=Users,${AD_SUFFIX}\nobjectClass: user\ncn: Half\nproxyAddresses: SMTP:half@example.com\nproxyAddresses: smtp:half..dots@example.com\n`;
    expect((await run(tools?.ldapadd ?? '', ['-x', '-H', slapd.url, '-D', slapd.bindDn, '-w', slapd.password], bad)).code).toBe(0);
    const out = join(tree.dir, 'snap.yaml');
    const r = await cli(['import', 'ldap', slapd.url, '--base', AD_SUFFIX, '--system', 'exchange', '--bind-dn', SERVICE_DN, '--password-env', 'CHAINMAIL_LDAP_PASSWORD', '--filter', '(|(cn=Broken)(cn=Half)(cn=User 4))', '--out', out], tree.dir, { env: ENV });
    expect(r.code).toBe(3);
    const warnings = r.stderr.split('\n').filter(Boolean);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^chainmail import: warning: cn=Broken,ou=Users,dc=example,dc=com: "SMTP:broken@@example.com" .*: left out$/);
    expect(warnings[1]).toBe('chainmail import: warning: cn=Broken,ou=Users,dc=example,dc=com: has no valid SMTP address: entry left out');
    expect(warnings[2]).toMatch(/^chainmail import: warning: cn=Half,ou=Users,dc=example,dc=com: "smtp:half..dots@example.com" .*: left out$/);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('      - half@example.com\n');
    expect(text).toContain('      - user4@example.com\n');
    expect(text).not.toContain('broken');
  });

  it('never takes the password from argv, and never writes a snapshot over another file', async () => {
    const r = await cli(['import', 'ldap', slapd.url, '--base', AD_SUFFIX, '--system', 'x', '--password', SERVICE_PASSWORD], tree.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain(SERVICE_PASSWORD);
    const other = tree.write('mine.yaml', 'version: 1\n');
    const o = await cli(['import', 'ldap', slapd.url, '--base', AD_SUFFIX, '--system', 'x', '--bind-dn', SERVICE_DN, '--password-env', 'CHAINMAIL_LDAP_PASSWORD', '--out', other], tree.dir, { env: ENV });
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/mine\.yaml exists and is not a chainmail directory snapshot; use --force/);
    expect(readFileSync(other, 'utf8')).toBe('version: 1\n');
  });

  it.skipIf(!existsSync(BIN) || !findTool('ps'))('the password is never in ps output while the built CLI runs', async () => {
    const args = [BIN, 'import', 'ldap', slapd.url, '--base', AD_SUFFIX, '--system', 'x', '--bind-dn', SERVICE_DN, '--password-env', 'CHAINMAIL_LDAP_PASSWORD', '--out', join(tree.dir, 'ps.yaml')];
    const child = spawn(process.execPath, args, { env: { PATH: process.env['PATH'] ?? '', ...ENV }, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    let running = true;
    void exited.then(() => (running = false));
    const seen: string[] = [];
    while (running) {
      const ps = await run(findTool('ps') ?? 'ps', ['-o', 'args=', '-p', String(child.pid)]);
      if (ps.stdout.trim() !== '') seen.push(ps.stdout);
    }
    expect(await exited).toBe(3);
    expect(seen.some((l) => l.includes('import ldap'))).toBe(true);
    expect(seen.filter((l) => l.includes(SERVICE_PASSWORD))).toEqual([]);
    expect(readFileSync(join(tree.dir, 'ps.yaml'), 'utf8')).not.toContain(SERVICE_PASSWORD);
  }, 120_000);

  it('refuses paths in the file that leave its directory', async () => {
    const main = tree.write('org.yaml', ORG(slapd.url, 'recipients.yaml').replace('snapshot: recipients.yaml', 'snapshot: ../../etc/owned.yaml'));
    const r = await cli(['import', 'ldap', '--config', main, '--system', 'exchange'], tree.dir, { env: ENV });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/directory\.snapshot "\.\.\/\.\.\/etc\/owned\.yaml" leaves the chainmail file's directory/);
    expect(existsSync(join(tree.dir, '../../etc/owned.yaml'))).toBe(false);
  });
});

describe.skipIf(!tools)('import ldap: a directory that cannot be reached', () => {
  it('is one line, exit 2, and the old snapshot stays', async () => {
    const out = tree.write('snap.yaml', '# chainmail directory snapshot of system "x": old\n');
    const r = await cli(['import', 'ldap', 'ldap://127.0.0.1:1', '--base', AD_SUFFIX, '--system', 'x', '--out', out], tree.dir);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^chainmail import: cannot reach ldap:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); check the URL and that the directory is up\n$/);
    expect(readFileSync(out, 'utf8')).toContain('old');
    writeFileSync(out, '');
  });
});

describe.skipIf(!tools)('import ldap: a filter the server refuses', () => {
  // slapd evaluates a filter it cannot apply (an unknown attribute or matching rule, a bad
  // assertion value) as Undefined, i.e. no match, not as an error (RFC 4511 section 4.5.1.7);
  // what it refuses is a search whose unindexed filter would make it check more candidate
  // entries than size.unchecked allows (slapd.conf(5) limits): adminLimitExceeded (11)
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startAdSlapd(adPopulation(20, 5, 0), {}, 1000, ' size.unchecked=10');
  }, 120_000);
  afterAll(async () => slapd?.stop());

  const importWith = (filter: string, out: string): ReturnType<typeof cli> =>
    cli(['import', 'ldap', slapd.url, '--base', AD_SUFFIX, '--system', 'exchange', '--bind-dn', SERVICE_DN, '--password-env', 'CHAINMAIL_LDAP_PASSWORD', '--filter', filter, '--out', out], tree.dir, { env: ENV });

  it('an unindexed filter over more entries than size.unchecked: one line, exit 2, the old snapshot untouched', async () => {
    const old = '# chainmail directory snapshot of system "exchange": old\nsystems:\n  exchange:\n    mailboxes: [old@example.com]\n';
    const out = tree.write('refused.yaml', old);
    const r = await importWith('(mailNickname=user1)', out);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^chainmail import: the directory refused the search: adminLimitExceeded \(11(: [^)]*)?\), e\.g\. a filter on attributes the server does not index; check --filter and --base\n$/);
    expect(r.stderr).not.toContain(SERVICE_PASSWORD);
    expect(readFileSync(out, 'utf8')).toBe(old);
    // the same server answers an indexed filter (proxyAddresses eq): the refusal is the filter's
    const indexed = await importWith('(proxyAddresses=SMTP:user1@example.com)', out);
    expect(indexed.code).toBe(3);
    expect(readFileSync(out, 'utf8')).toContain('      - user1@example.com\n');
  }, 120_000);
});
