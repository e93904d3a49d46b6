import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIND_PW_PLACEHOLDER } from '../../src/compile/targets/postfix/ldap-tables.js';
import { compilePostfix } from '../../src/compile/targets/postfix/postfix.js';
import { loadModel } from '../../src/index.js';
import { cli } from '../diff/support.js';
import { adPopulation, postfixOrg, SERVICE_PASSWORD, startAdSlapd } from '../support/ad-directory.js';
import { makeConfigDir } from '../support/postfix.js';
import { requirePostfixInstance, startPostfix, type PostfixInstance } from '../support/postfix-instance.js';
import type { Slapd } from '../support/slapd.js';
import { useTempTree } from '../support/temp-tree.js';
import { requireTools, run } from '../support/tools.js';

const tools = requireTools('slapd', 'slapadd', 'postmap');
const canRun = tools !== undefined && requirePostfixInstance();
const tree = useTempTree('postfix-ldap-rcpt');
const ENV = { CHAINMAIL_LDAP_PASSWORD: SERVICE_PASSWORD };

const PROBES = [
  'user1@example.com', 'USER2@Example.COM', 'u3.alias@example.com', 'group1@example.com', 'contact1@example.com', 'nobody@example.com',
  'c1@partner.example.net', 'someone@elsewhere.example.org',
  '*@example.com', 'user*@example.com', '"(user1"@example.com', '"user1)"@example.com', '"user\\\\1"@example.com', '"*)(cn=*"@example.com',
  // a NUL after a known local part must not be cut there and match user1: smtpd refuses it
  // before any lookup (501 5.1.3); the ldap table's own escaping of it (\00, RFC 4515) is
  // checked with postmap -q in postfix-ldap-tables.test.ts
  'user1\u0000@example.com', '"user1\u0000"@example.com',
];

/** The RCPT replies (code and enhanced status) of one SMTP session, one per probe. */
async function rcpt(port: number, probes: readonly string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let buffer = '';
  const waiters: ((line: string) => void)[] = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    // a reply ends with a line "NNN text" (RFC 5321 section 4.2: NNN- continues)
    for (let m = /^(\d{3}) [^\n]*\n/m.exec(buffer); m; m = /^(\d{3}) [^\n]*\n/m.exec(buffer)) {
      const end = m.index + m[0].length;
      const reply = buffer.slice(0, end);
      buffer = buffer.slice(end);
      waiters.shift()?.(reply.trim().split('\n').at(-1) ?? '');
    }
  });
  // a reply that never comes fails the test with what was asked, instead of hanging it
  const reply = (what = 'the greeting'): Promise<string> =>
    new Promise((r, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply from Postfix on port ${port} to ${what} within 60 s`)), 60_000);
      waiters.push((line) => {
        clearTimeout(timer);
        r(line);
      });
    });
  const send = async (line: string): Promise<string> => {
    const p = reply(line);
    socket.write(`${line}\r\n`);
    return p;
  };
  await reply();
  await send('EHLO probe.example.org');
  await send('MAIL FROM:<sender@internet.example.org>');
  const out: string[] = [];
  for (const p of probes) out.push(`${p} ${/^\d{3}(?: \d\.\d\.\d)?/.exec(await send(`RCPT TO:<${p}>`))?.[0] ?? '?'}`);
  socket.end('QUIT\r\n');
  return out;
}

describe.skipIf(!canRun)('a private Postfix with the ldap tables answers RCPT as the one with static maps', () => {
  let slapd: Slapd;
  const instances: PostfixInstance[] = [];
  beforeAll(async () => {
    slapd = await startAdSlapd(adPopulation(30, 5, 3));
  }, 120_000);
  afterAll(async () => {
    for (const i of instances) await i.stop();
    await slapd?.stop();
  });

  async function deploy(lookups: 'static' | 'ldap'): Promise<PostfixInstance> {
    const maps = join(tree.dir, `maps-${lookups}`);
    mkdirSync(maps, { recursive: true });
    chmodSync(tree.dir, 0o755);
    const model = loadModel(tree.write(`org-${lookups}.yaml`, postfixOrg(slapd.url, lookups)), { cwd: tree.dir }).model!;
    const problems: string[] = [];
    const mainCf: string[] = [];
    const configDir = makeConfigDir();
    for (const f of compilePostfix(model, { postfixDir: maps }, problems)) {
      const name = f.path.replace(/^unix\/postfix\//, '');
      const text = String(f.content);
      if (name.endsWith('main.cf')) mainCf.push(...text.split('\n').filter((l) => l !== '' && !l.startsWith('#')));
      else {
        writeFileSync(join(maps, name), text.replaceAll(BIND_PW_PLACEHOLDER, SERVICE_PASSWORD));
        if (!name.startsWith('ldap-')) expect((await run(tools?.postmap ?? '', ['-c', configDir, `hash:${join(maps, name)}`])).stderr).toBe('');
      }
    }
    expect(problems).toEqual([]);
    // main.cf first, then ldap-main.cf: later lines win, as with postconf -e in that order
    const instance = await startPostfix({ mainCf, hostname: `${lookups}.chainmail-test.localdomain` });
    instances.push(instance);
    return instance;
  }

  it('gives the same reply to every probe, and 4xx (never 5xx) for directory recipients with slapd stopped', async () => {
    const imported = await cli(['import', 'ldap', '--config', tree.write('org-static.yaml', postfixOrg(slapd.url, 'static')), '--system', 'unix'], tree.dir, { env: ENV });
    expect(imported.stderr).toBe('');
    const staticPostfix = await deploy('static');
    const ldapPostfix = await deploy('ldap');
    expect(await ldapPostfix.postconf(['-h', 'relay_recipient_maps'])).toMatch(/^ldap:.*ldap-relay_recipients-unix\.cf, hash:/);
    const expected = await rcpt(staticPostfix.port, PROBES);
    expect(expected.filter((l) => / 250/.test(l))).toHaveLength(6);
    expect(expected.filter((l) => l.includes('\u0000'))).toEqual(['user1\u0000@example.com 501 5.1.3', '"user1\u0000"@example.com 501 5.1.3']);
    expect(await rcpt(ldapPostfix.port, PROBES)).toEqual(expected);

    await slapd.stop();
    const down = await rcpt(ldapPostfix.port, ['user1@example.com', 'nobody@example.com', 'c1@partner.example.net']);
    expect(down[0]).toMatch(/^user1@example\.com 4\d\d 4\.\d\.\d$/);
    expect(down[1]).toMatch(/^nobody@example\.com 4\d\d 4\.\d\.\d$/);
    // a recipient the directory is not asked about (the domain restriction) is unaffected
    expect(down[2]).toBe(expected.find((l) => l.startsWith('c1@partner.example.net')));
  }, 180_000);
});
