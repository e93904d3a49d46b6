import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePostfix } from '../../src/compile/targets/postfix/postfix.js';
import { BIND_PW_PLACEHOLDER } from '../../src/compile/targets/postfix/ldap-tables.js';
import { loadModel } from '../../src/index.js';
import { cli } from '../diff/support.js';
import { adPopulation, postfixOrg, SERVICE_PASSWORD, startAdSlapd } from '../support/ad-directory.js';
import { makeConfigDir } from '../support/postfix.js';
import type { Slapd } from '../support/slapd.js';
import { useTempTree } from '../support/temp-tree.js';
import { requireTools, run } from '../support/tools.js';

const tools = requireTools('slapd', 'slapadd', 'postmap');
const tree = useTempTree('postfix-ldap');
const ENV = { CHAINMAIL_LDAP_PASSWORD: SERVICE_PASSWORD };

const PROBES = [
  'user1@example.com', 'USER1@Example.COM', 'user3@example.com', 'u3.alias@example.com', 'U3.ALIAS@EXAMPLE.COM',
  'group1@example.com', 'contact1@example.com', 'Contact2@Example.com', 'c1@partner.example.net', 'nobody@example.com',
  'user1@elsewhere.example.org', 'postmaster@example.com',
  // filter injection: RFC 4515 specials in the local part must match nothing (Postfix escapes %s)
  '*@example.com', 'user*@example.com', '*1@example.com', '(user1@example.com', 'user1)@example.com', 'user\\31@example.com',
  '*)(cn=*@example.com', 'user1)(|(cn=*@example.com', '\\2a@example.com', 'user1\u0000@example.com',
  // an IDN domain: the directory holds A-labels, a client with SMTPUTF8 may write the U-label
  'yamada@xn--r8jz45g.jp', 'yamada@例え.jp', 'YAMADA@例え.JP', 'y.alias@xn--r8jz45g.jp', 'Y.Alias@例え.jp', 'nobody@例え.jp', 'yamada@例え.example',
];

/** A user in an IDN domain, as AD stores it (A-labels in proxyAddresses and mail). */
const YAMADA = { dn: 'cn=Yamada,ou=Users,dc=example,dc=com', objectClass: 'user', cn: 'Yamada', proxyAddresses: ['SMTP:yamada@xn--r8jz45g.jp', 'smtp:Y.Alias@xn--r8jz45g.jp'], mail: 'yamada@xn--r8jz45g.jp', mailNickname: 'yamada' } as const;

/** postfixOrg with 例え.jp accepted (authoritative) beside example.com. */
const idnOrg = (url: string, lookups: 'static' | 'ldap'): string =>
  postfixOrg(url, lookups)
    .replace('  example.com: {}\n', '  example.com: {}\n  例え.jp: {}\n')
    .replace('addresses: [{ space: "@example.com", authoritative: true }] }', 'addresses: [{ space: "@example.com", authoritative: true }, { space: "@例え.jp", authoritative: true }] }');

/** `postmap -q - MAP` with the keys on stdin: key -> value of the keys found. */
async function query(map: string, keys: readonly string[], configDir: string): Promise<Map<string, string>> {
  const r = await run(tools?.postmap ?? '', ['-c', configDir, '-q', '-', map], `${keys.join('\n')}\n`);
  if (r.code !== 0 && r.code !== 1) throw new Error(`postmap -q - ${map}: ${r.stderr}`);
  expect(r.stderr).toBe('');
  return new Map(r.stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)] as const));
}

describe.skipIf(!tools)('ldap_table(5) files answer like the static maps (real postmap, real slapd)', () => {
  let slapd: Slapd;
  let configDir: string;
  beforeAll(async () => {
    slapd = await startAdSlapd([...adPopulation(30, 5, 3), YAMADA]);
    configDir = makeConfigDir();
  }, 120_000);
  afterAll(async () => {
    await slapd?.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  /** Compiles the org with the given lookups into DIR/unix/postfix and postmaps the static maps. */
  async function build(lookups: 'static' | 'ldap'): Promise<string> {
    const main = tree.write(`org-${lookups}.yaml`, idnOrg(slapd.url, lookups));
    const loaded = loadModel(main, { cwd: tree.dir });
    const problems: string[] = [];
    const out = join(tree.dir, lookups);
    for (const f of compilePostfix(loaded.model!, { postfixDir: out }, problems)) {
      const p = join(out, f.path.replace(/^unix\/postfix\//, ''));
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, String(f.content).replaceAll(BIND_PW_PLACEHOLDER, SERVICE_PASSWORD));
    }
    expect(problems).toEqual([]);
    for (const m of ['relay_recipients', 'transport', 'virtual']) {
      const r = await run(tools?.postmap ?? '', ['-c', configDir, `hash:${join(out, m)}`]);
      expect(r.stderr).toBe('');
    }
    return out;
  }

  it('answers every probe (known, alias, contact, unknown, other case, injection) as the static maps do', async () => {
    const imported = await cli(['import', 'ldap', '--config', tree.write('org-static.yaml', idnOrg(slapd.url, 'static')), '--system', 'unix'], tree.dir, { env: ENV });
    expect(imported.stderr).toBe('');
    const staticDir = await build('static');
    const ldapDir = await build('ldap');
    const files = readdirSync(ldapDir).filter((f) => f.startsWith('ldap-')).sort();
    // one more table per map for the U-label form of 例え.jp
    expect(files).toEqual(['ldap-main.cf', 'ldap-relay_recipients-unix-xn--r8jz45g.jp.cf', 'ldap-relay_recipients-unix.cf', 'ldap-transport-unix-xn--r8jz45g.jp.cf', 'ldap-transport-unix.cf', 'ldap-virtual-unix-xn--r8jz45g.jp.cf', 'ldap-virtual-unix.cf']);
    const generated = compilePostfix(loadModel(join(tree.dir, 'org-ldap.yaml'), { cwd: tree.dir }).model!, {}).map((f) => f.content).join('\n');
    expect(generated).not.toContain(SERVICE_PASSWORD);
    const mainCf = readFileSync(join(ldapDir, 'ldap-main.cf'), 'utf8');
    expect(mainCf).toContain(`relay_recipient_maps = ldap:${ldapDir}/ldap-relay_recipients-unix.cf, ldap:${ldapDir}/ldap-relay_recipients-unix-xn--r8jz45g.jp.cf, hash:${ldapDir}/relay_recipients\n`);
    // the directory's recipients left the static maps
    expect(readFileSync(join(ldapDir, 'relay_recipients'), 'utf8')).not.toContain('user1@example.com');

    let answered = 0;
    for (const m of ['relay_recipients', 'transport', 'virtual']) {
      const expected = await query(`hash:${join(staticDir, m)}`, PROBES, configDir);
      const ascii = await query(`ldap:${join(ldapDir, `ldap-${m}-unix.cf`)}`, PROBES, configDir);
      const unicode = await query(`ldap:${join(ldapDir, `ldap-${m}-unix-xn--r8jz45g.jp.cf`)}`, PROBES, configDir);
      const live = new Map([...unicode, ...ascii]);
      const rest = await query(`hash:${join(ldapDir, m)}`, PROBES, configDir);
      // the directory answers for its recipients, not the static map that is left
      const own = { relay_recipients: ['USER1@Example.COM', 'OK'], transport: ['user1@example.com', 'lmtp:unix:private/dovecot-lmtp'], virtual: ['U3.ALIAS@EXAMPLE.COM', 'user3@example.com'] }[m] ?? [];
      expect(live.get(own[0] ?? '')).toBe(own[1]);
      expect(rest.get(own[0] ?? '')).toBeUndefined();
      for (const probe of PROBES) {
        // Postfix searches the tables of one parameter in order: the ldap table, then the static map
        const got = live.get(probe) ?? rest.get(probe);
        expect({ map: m, probe, answer: got }).toEqual({ map: m, probe, answer: expected.get(probe) });
        if (got !== undefined) answered++;
      }
    }
    expect(answered).toBeGreaterThan(15);
    // the U-label forms were answered by the directory, as both keys are in the static maps
    expect(await query(`ldap:${join(ldapDir, 'ldap-virtual-unix-xn--r8jz45g.jp.cf')}`, ['Y.Alias@例え.jp'], configDir)).toEqual(new Map([['Y.Alias@例え.jp', 'yamada@xn--r8jz45g.jp']]));
  }, 120_000);
});
