import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adPopulation, AD_SUFFIX, directoryYaml, SERVICE_PASSWORD, startAdSlapd } from '../support/ad-directory.js';
import { ldapadd, type Slapd } from '../support/slapd.js';
import { freePort, requireTools } from '../support/tools.js';
import { bin, repoRoot, requireBuiltCli, spawnRelay, type RelayChild } from '../relay/support/child.js';
import { RawSmtp } from '../relay/support/smtp-client.js';

/**
 * The embedded relay's refresh from the directory (docs/directory.md, "The embedded relay"):
 * the shipped job examples/directory/refresh-relay.sh (import ldap -> build -> SIGHUP) run
 * as cron would, against a real slapd and the real relay.
 */
const tools = requireTools('slapd', 'slapadd', 'ldapadd');
const built = requireBuiltCli();
const SCRIPT = join(repoRoot, 'examples', 'directory', 'refresh-relay.sh');

const org = (url: string, port: number): string => `version: 1
directory: { baseDn: "${AD_SUFFIX}" }
domains:
  example.com: {}
systems:
  gw:
    kind: relay
    host: "[127.0.0.1]:${port}"
    gateway: true
${directoryYaml(url, ['filter: "(&(objectClass=user)(proxyAddresses=smtp:*))"'])}policies:
  - { name: gw, system: gw, addresses: [{ space: "@example.com", primary: true, authoritative: true }] }
include: [recipients.yaml]
`;

/** The job as cron runs it: the password in the environment, the CLI as `chainmail`. */
function refresh(dir: string, pid?: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', CHAINMAIL: `${process.execPath} ${bin}`, CHAINMAIL_LDAP_PASSWORD: SERVICE_PASSWORD };
  return new Promise((resolve) => {
    execFile('sh', [SCRIPT, join(dir, 'org.yaml'), 'gw', join(dir, 'out'), ...(pid !== undefined ? [String(pid)] : [])], { cwd: dir, env, timeout: 120_000 }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }),
    );
  });
}

async function rcpt(port: number, address: string): Promise<number> {
  const { client } = await RawSmtp.open(port);
  await client.cmd('EHLO refresh.test');
  await client.cmd('MAIL FROM:<s@outside.test>');
  const r = await client.cmd(`RCPT TO:<${address}>`);
  await client.quit();
  return r.code;
}

describe.skipIf(!tools || !built)('the relay refreshed from a real slapd by the shipped job', () => {
  let slapd: Slapd;
  let dir: string;
  let port: number;
  let relay: RelayChild | undefined;
  beforeAll(async () => {
    slapd = await startAdSlapd(adPopulation(20, 0, 0));
    dir = mkdtempSync(join(tmpdir(), 'chainmail-refresh-'));
    port = await freePort();
    writeFileSync(join(dir, 'org.yaml'), org(slapd.url, port));
  }, 120_000);
  afterAll(async () => {
    relay?.proc.kill('SIGKILL');
    await slapd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a user added to the directory is accepted after the refresh; with slapd down the job fails in one line and the relay keeps its table', async () => {
    // the first run, before the relay starts: import and build only
    const first = await refresh(dir);
    expect(first).toMatchObject({ code: 3, stderr: '' });
    const routes = join(dir, 'out', 'gw', 'routes.json');
    relay = spawnRelay(['--routes', routes, '--listen', `127.0.0.1:${port}`, '--spool', join(dir, 'spool'), '--greeting-delay', '0']);
    await relay.event((e) => e['event'] === 'listen');
    const pid = relay.proc.pid!;
    expect(await rcpt(port, 'user3@example.com')).toBe(250);
    expect(await rcpt(port, 'newbie@example.com')).toBe(550);

    // nothing changed in the directory: exit 0, no reload
    const same = await refresh(dir, pid);
    expect(same).toMatchObject({ code: 0, stderr: '' });
    expect(relay.events.filter((e) => e['event'] === 'reload')).toHaveLength(0);

    // a new user in the directory: imported, built, and the relay accepts it after the reload
    const add = `dn: cn=Newbie,ou=Users,${AD_SUFFIX}\nobjectClass: user\ncn: Newbie\nproxyAddresses: SMTP:newbie@example.com\n`;
    expect((await ldapadd(slapd, add)).code).toBe(0);
    const changed = await refresh(dir, pid);
    expect(changed.code).toBe(3);
    expect(changed.stdout).toContain('+ mailbox newbie@example.com');
    await relay.event((e) => e['event'] === 'reload' && e['ok'] === true);
    expect(await rcpt(port, 'newbie@example.com')).toBe(250);

    // the directory is down: one line naming it, exit 2; snapshot, table and relay as they were
    const snapshot = readFileSync(join(dir, 'recipients.yaml'), 'utf8');
    const table = readFileSync(routes, 'utf8');
    await slapd.stop();
    const down = await refresh(dir, pid);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^chainmail import: cannot reach ldap:\/\/127\.0\.0\.1:\d+ \(.*\); check the URL and that the directory is up\n$/);
    expect(down.stderr).not.toContain(SERVICE_PASSWORD);
    expect(readFileSync(join(dir, 'recipients.yaml'), 'utf8')).toBe(snapshot);
    expect(readFileSync(routes, 'utf8')).toBe(table);
    expect(relay.events.filter((e) => e['event'] === 'reload')).toHaveLength(1);
    expect(await rcpt(port, 'newbie@example.com')).toBe(250);
    expect(await rcpt(port, 'user3@example.com')).toBe(250);
  });
});
