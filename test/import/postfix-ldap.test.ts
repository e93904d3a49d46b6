import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePostfix } from '../../src/compile/targets/postfix/postfix.js';
import { BIND_PW_PLACEHOLDER } from '../../src/compile/targets/postfix/ldap-tables.js';
import { loadModel } from '../../src/index.js';
import { cli } from '../diff/support.js';
import { AD_SUFFIX, postfixOrg, SERVICE_DN } from '../support/ad-directory.js';
import { useTempTree } from '../support/temp-tree.js';

const tree = useTempTree('import-postfix-ldap');
const SECRET = 'deployed-Secret-77';

/** import postfix reads ldap: tables back: the query becomes the system's directory source. */
describe('import postfix: ldap: tables', () => {
  it('turns the relay_recipient_maps ldap table of a deployed build into directory:, without its bind_pw', async () => {
    tree.write('recipients.yaml', 'systems:\n  unix:\n    mailboxes: [user1@example.com]\n');
    const model = loadModel(tree.write('org.yaml', postfixOrg('ldap://dc1.example.com:389', 'ldap')), { cwd: tree.dir }).model!;
    const deployed = join(tree.dir, 'etc');
    const main: string[] = [];
    for (const f of compilePostfix(model, { postfixDir: deployed })) {
      const name = f.path.replace(/^unix\/postfix\//, '');
      // a deployed table holds the real password in place of the placeholder
      const text = String(f.content).replaceAll(BIND_PW_PLACEHOLDER, SECRET);
      if (name === 'main.cf' || name === 'ldap-main.cf') main.push(text);
      else tree.write(`etc/${name}`, text);
    }
    // ldap-main.cf applied after main.cf (postconf -e): its lines come last and win
    writeFileSync(join(deployed, 'main.cf'), main.join('\n'));
    const out = join(tree.dir, 'imported.yaml');
    const r = await cli(['import', 'postfix', deployed, '--out', out, '--system', 'unix'], tree.dir);
    expect(r.stderr).not.toContain(SECRET);
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain(SECRET);
    const imported = loadModel(out, { cwd: tree.dir }).model?.systems.get('unix')?.directory;
    expect(imported).toEqual({
      url: 'ldap://dc1.example.com:389',
      baseDn: AD_SUFFIX,
      filter: '(&(proxyAddresses=smtp:*)(proxyAddresses=smtp:*))',
      addressAttribute: 'proxyAddresses',
      bindDn: SERVICE_DN,
      passwordEnv: 'CHAINMAIL_LDAP_PASSWORD',
      lookups: 'ldap',
    });
    expect(text).toContain('# TODO: move directory: to the system whose recipients the directory holds');
  });

  it.each([
    ['an ldapi:// socket', 'server_host = ldapi:///run/slapd.sock\nsearch_base = dc=x\nquery_filter = (mail=%s)\n', /server_host "ldapi:\/\/\/run\/slapd.sock" is not an ldap:\/\/ or ldaps:\/\/ host/],
    ['no search_base', 'server_host = ldap://h\nquery_filter = (mail=%s)\n', /has no search_base/],
    ['a query by domain', 'server_host = ldap://h\nsearch_base = dc=x\nquery_filter = (&(mail=%s)(domain=%d))\n', /uses %u, %d or another expansion/],
  ])('%s is a warning naming the file, and the rest is imported', async (_n, cf, message) => {
    tree.write('etc/relay_domains', 'example.com OK\n');
    tree.write('etc/t.cf', cf);
    tree.write('etc/main.cf', `relay_domains = hash:${join(tree.dir, 'etc/relay_domains')}\nrelay_recipient_maps = ldap:${join(tree.dir, 'etc/t.cf')}\n`);
    const r = await cli(['import', 'postfix', join(tree.dir, 'etc')], tree.dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toContain('example.com');
    expect(r.stdout).not.toContain('directory:');
  });
});
