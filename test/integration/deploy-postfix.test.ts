import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as cli } from '../cli/support.js';
import { readTree } from '../build/cases.js';
import { eventually, startSink, type Sink } from '../support/postfix-gateway.js';
import { requirePostfixInstance, startPostfix, type PostfixInstance } from '../support/postfix-instance.js';
import { freePort, requireTools, run } from '../support/tools.js';

/**
 * `chainmail deploy postfix` against a real private Postfix: deployed, then used (a local
 * client in the file's mynetworks sends out through the relayhost, a client outside it
 * cannot relay: 554 5.7.1), then a deploy whose postfix check fails is rolled back: the
 * maps and main.cf are byte-identical to before and Postfix answers as before.
 */
const tools = requireTools('smtp-sink', 'swaks');
const canRun = requirePostfixInstance() && tools !== undefined;

/** The organisation: a Postfix gateway for example.com in front of "inside", and a "*" connector out. */
function org(sinkPort: number): string {
  return `version: 1
domains:
  example.com: {}
systems:
  gw:
    kind: postfix
    host: "[127.0.0.1]:2525"
    gateway: true
    # the local users and applications of this host connect from 127.0.0.2
    mynetworks: ["127.0.0.2/32"]
    maxMessageSize: 20000000
    mailboxes: []
  inside:
    kind: postfix
    host: "[127.0.0.1]:${sinkPort}"
    maxMessageSize: 20000000
    mailboxes: [carol@example.com]
policies:
  - { name: gw, system: gw, addresses: [{ space: "@example.com", authoritative: false }] }
  - { name: inside, system: inside, addresses: [{ space: "@example.com", primary: true, authoritative: true }] }
connectors:
  - { name: to inside, system: gw, addressSpaces: [example.com], to: inside, allowRelay: true }
  - { name: outbound, system: gw, addressSpaces: ["*"], smartHosts: ["[127.0.0.1]:${sinkPort}"] }
chains:
  - { name: example.com, domains: [example.com], order: [gw, inside] }
`;
}

/** The RCPT TO reply line of one swaks transaction from `from` (a loopback source address). */
async function rcpt(port: number, to: string, source: string): Promise<string> {
  const r = await run(tools?.swaks ?? 'swaks', ['--server', `127.0.0.1:${port}`, '--local-interface', source, '--helo', 'client.test', '--from', 'app@gw.test', '--to', to, '--timeout', '20']);
  const lines = r.stdout.split('\n');
  const at = lines.findIndex((l) => /^ -> RCPT TO:/i.test(l));
  return ((at >= 0 ? lines.slice(at + 1).find((l) => /^<(-|\*\*) /.test(l)) : undefined) ?? `${r.stdout}${r.stderr}`).replace(/^<(-|\*\*) +/, '');
}

const LOCAL = '127.0.0.2';
const INTERNET = '127.0.0.1';

describe.skipIf(!canRun)('chainmail deploy postfix on a private Postfix', () => {
  let postfix: PostfixInstance | undefined;
  let sink: Sink | undefined;
  let work = '';
  let mapDir = '';
  const pf = (): PostfixInstance => {
    if (!postfix) throw new Error('postfix not started');
    return postfix;
  };
  const deploy = (out: string, ...extra: string[]) => cli(['deploy', 'postfix', out, '--system', 'gw', '-c', pf().configDir, '--map-dir', mapDir, ...extra], { env: { PATH: process.env.PATH } });
  /** main.cf and every file of the map directory, by name. */
  const snapshot = (): Map<string, Buffer> => new Map([['main.cf', readFileSync(join(pf().configDir, 'main.cf'))], ...readTree(mapDir)]);

  /** A copy of the build with files edited by hand, and manifest.json updated to match. */
  function handEdited(name: string, edits: Record<string, (s: string) => string>): string {
    const dir = join(work, name);
    cpSync(join(work, 'out'), dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string }[] };
    for (const [path, edit] of Object.entries(edits)) {
      const text = edit(readFileSync(join(dir, path), 'utf8'));
      writeFileSync(join(dir, path), text);
      const entry = manifest.files.find((f) => f.path === path);
      if (entry) entry.sha256 = createHash('sha256').update(text).digest('hex');
    }
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  }

  beforeAll(async () => {
    sink = await startSink(await freePort());
    work = mkdtempSync(join(tmpdir(), 'chainmail-deploy-'));
    writeFileSync(join(work, 'chainmail.yaml'), org(sink.port));
    const built = await cli(['build', 'chainmail.yaml', '--out', 'out', '--target', 'postfix'], { cwd: work });
    expect(built.code, built.stderr).toBe(0);
    postfix = await startPostfix({ hostname: 'gw.chainmail.test', mainCf: ['smtp_connect_timeout = 5s'] });
    mapDir = join(postfix.dir, 'maps');
  });
  afterAll(async () => {
    await postfix?.stop();
    await sink?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('--dry-run says what it would do and changes nothing', async () => {
    const before = snapshot();
    const r = await deploy(join(work, 'out'), '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`would create ${mapDir}`);
    expect(r.stdout).toContain(`would postconf -e "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"`);
    expect(r.stdout).toContain(`would postconf -e "relay_domains = hash:${mapDir}/relay_domains"`);
    expect(r.stdout).toMatch(/would run postfix check and postfix reload; nothing was changed/);
    expect(snapshot()).toEqual(before);
  });

  it('deploys: postmap, postconf -e, postfix check, reload', async () => {
    const r = await deploy(join(work, 'out'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('postfix check: ok');
    expect(r.stdout).toContain('postfix reload: ok');
    expect((await pf().postconf(['-h', 'mynetworks'])).trim()).toBe('127.0.0.2/32');
    expect((await pf().postconf(['-h', 'message_size_limit'])).trim()).toBe('20000000');
    expect([...readTree(mapDir).keys()].sort()).toEqual(['relay_domains', 'relay_domains.db', 'relay_recipients', 'relay_recipients.db', 'transport', 'transport.db', 'virtual', 'virtual.db']);
    expect(readFileSync(join(mapDir, 'transport'))).toEqual(readFileSync(join(work, 'out/gw/postfix/transport')));
  });

  it('then a local user sends out through the relayhost, and the internet cannot relay', async () => {
    expect(await rcpt(pf().port, 'someone@foreign.test', LOCAL)).toMatch(/^250 /);
    expect(await eventually(() => sink?.recipients().includes('someone@foreign.test') ?? false)).toBe(true);
    expect(await rcpt(pf().port, 'other@foreign.test', INTERNET)).toMatch(/^554 5\.7\.1 .*Relay access denied/);
    expect(await rcpt(pf().port, 'carol@example.com', INTERNET)).toMatch(/^250 /);
    expect(await rcpt(pf().port, 'nobody@example.com', INTERNET)).toMatch(/^550 5\.1\.1 /);
  });

  it('rolls back a deploy whose postfix check fails: old maps and main.cf byte for byte, Postfix answers as before', async () => {
    // a hand-edited build: a new transport entry, and a main.cf value postconf takes but postfix check refuses
    const bad = handEdited('bad-check', {
      'gw/postfix/transport': (s) => `${s}new.example relay:[127.0.0.1]:9\n`,
      'gw/postfix/main.cf': (s) => s.replace('message_size_limit = 20000000', 'message_size_limit = 20MB'),
    });
    const before = snapshot();
    const r = await deploy(bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^chainmail deploy: postfix check failed: .*message_size_limit.*; rolled back: the old maps and main.cf are in place\n$/);
    expect(r.stdout).toContain('installed hash:');
    expect(snapshot()).toEqual(before);
    expect(await rcpt(pf().port, 'again@foreign.test', LOCAL)).toMatch(/^250 /);
    expect(await rcpt(pf().port, 'other@foreign.test', INTERNET)).toMatch(/^554 5\.7\.1 /);
    expect(await rcpt(pf().port, 'x@new.example', LOCAL)).toMatch(/^250 /);
    // the old transport map: new.example is no entry, so the relayhost gets it
    expect(await eventually(() => sink?.recipients().includes('x@new.example') ?? false)).toBe(true);
  });

  it('installs nothing when postmap refuses a map, and leaves no temporary file', async () => {
    const bad = handEdited('bad-map', { 'gw/postfix/virtual': (s) => `${s}lonely-key-without-value\n` });
    const before = snapshot();
    const r = await deploy(bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^chainmail deploy: postmap failed: postmap hash:.*virtual\.chainmail-new: .*expected format: key whitespace value/);
    expect(snapshot()).toEqual(before);
  });

  it('refuses to run beside another deploy of the same map directory', async () => {
    writeFileSync(join(mapDir, '.chainmail-deploy.lock'), '1\n');
    const before = snapshot();
    try {
      const r = await deploy(join(work, 'out'));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/\.chainmail-deploy\.lock exists: another chainmail deploy is running, or one was killed/);
      expect(snapshot()).toEqual(before);
    } finally {
      rmSync(join(mapDir, '.chainmail-deploy.lock'));
    }
  });
});
