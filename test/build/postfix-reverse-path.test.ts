import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { eventually, makePostfixDirs, sendMail, startPostfix, startSink, type PostfixInstance, type Sink } from '../support/postfix-gateway.js';
import { findTool, freePort, requireTools, run } from '../support/tools.js';

/**
 * The reverse path on real Postfix (issue 13): the UNIX server of the gateway fixture is the
 * last system of the chain and authoritative for example.com. A private instance built from
 * its artifacts delivers mail submitted at it, by SMTP and by sendmail(1), for a recipient
 * hosted on Exchange to Exchange's next hop (an smtp-sink), and still rejects a truly unknown
 * recipient at RCPT. What makes it so: transport_maps (postconf) names the built transport
 * map, where `alice@example.com relay:[127.0.0.1]:<exchange>` precedes nothing for the domain
 * (postmap -q), and relay_recipient_maps lists alice@example.com but not nobody@example.com.
 */
const tools = requireTools('postfix', 'postmap', 'postconf', 'smtp-sink', 'swaks');
const FIXTURE = new URL('../../testdata/compile/003-postfix-gateway/chainmail.yaml', import.meta.url).pathname;

describe.skipIf(!tools)('the reverse path of a Postfix system built by chainmail (real postfix, smtp-sink)', () => {
  let work: string;
  let postfix: PostfixInstance | undefined;
  let exchange: Sink | undefined;
  let gateway: Sink | undefined;
  let exchangePort = 0;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'chainmail-reverse-'));
    const [ex, gw, unix] = await Promise.all([freePort(), freePort(), freePort()]);
    exchangePort = ex ?? 0;
    // Exchange and the gateway are sinks; the UNIX server is the private Postfix instance
    const yaml = readFileSync(FIXTURE, 'utf8').replaceAll('[127.0.0.1]:2601', `[127.0.0.1]:${ex}`).replaceAll('[127.0.0.1]:2525', `[127.0.0.1]:${gw}`).replaceAll('[127.0.0.1]:2602', `[127.0.0.1]:${unix}`);
    writeFileSync(join(work, 'chainmail.yaml'), yaml);
    exchange = await startSink(ex ?? 0);
    gateway = await startSink(gw ?? 0);
    const dirs = makePostfixDirs();
    const out = join(work, 'out');
    let log = '';
    const io = { stdout: (t: string) => void (log += t), stderr: (t: string) => void (log += t), cwd: work, env: {}, isTTY: false };
    const code = await main(['build', 'chainmail.yaml', '--out', out, '--target', 'postfix', '--postfix-dir', dirs.maps], io);
    if (code !== 0) throw new Error(`build failed (${code}):\n${log}`);
    postfix = await startPostfix(dirs, join(out, 'unix', 'postfix'), unix ?? 0);
  }, 120_000);

  afterAll(async () => {
    await postfix?.stop();
    await exchange?.stop();
    await gateway?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is configured by the built maps: transport_maps sends alice@example.com to Exchange, relay_recipient_maps lists her', async () => {
    const conf = postfix?.dirs.config ?? '';
    const transport = (await run(findTool('postconf') ?? 'postconf', ['-c', conf, '-h', 'transport_maps'])).stdout.trim();
    const recipients = (await run(findTool('postconf') ?? 'postconf', ['-c', conf, '-h', 'relay_recipient_maps'])).stdout.trim();
    expect(transport).toMatch(/^hash:.*\/transport$/);
    const q = await run(findTool('postmap') ?? 'postmap', ['-c', conf, '-q', 'alice@example.com', transport]);
    expect(q.stdout.trim(), q.stderr).toBe(`relay:[127.0.0.1]:${exchangePort}`);
    expect((await run(findTool('postmap') ?? 'postmap', ['-c', conf, '-q', 'alice@example.com', recipients])).stdout.trim()).toBe('OK');
    expect((await run(findTool('postmap') ?? 'postmap', ['-c', conf, '-q', 'nobody@example.com', recipients])).code).not.toBe(0);
  });

  it('delivers mail submitted by SMTP for an Exchange recipient to Exchange', async () => {
    const r = await sendMail(postfix?.port ?? 0, 'alice@example.com', 'carol@example.com');
    expect(r.accepted, r.transcript).toBe(true);
    expect(await eventually(() => exchange?.recipients().includes('alice@example.com') ?? false), postfix?.log()).toBe(true);
  });

  it('delivers mail submitted with sendmail(1) for an Exchange alias to Exchange', async () => {
    const sendmail = findTool('sendmail') ?? '/usr/sbin/sendmail';
    const message = 'From: carol@example.com\nTo: a.smith@example.com\nSubject: reverse path\n\nhello\n';
    const r = await run(sendmail, ['-C', postfix?.dirs.config ?? '', '-f', 'carol@example.com', 'a.smith@example.com'], message);
    expect(r.code, r.stderr).toBe(0);
    expect(await eventually(() => exchange?.recipients().includes('a.smith@example.com') ?? false), postfix?.log()).toBe(true);
  });

  it('delivers mail for the gateway\'s own mailbox to the gateway', async () => {
    const r = await sendMail(postfix?.port ?? 0, 'ops@example.com', 'carol@example.com');
    expect(r.accepted, r.transcript).toBe(true);
    expect(await eventually(() => gateway?.recipients().includes('ops@example.com') ?? false), postfix?.log()).toBe(true);
  });

  it('still rejects a truly unknown recipient at RCPT (550 5.1.1)', async () => {
    const r = await sendMail(postfix?.port ?? 0, 'nobody@example.com', 'carol@example.com');
    expect(r.rcpt.slice(0, 9), r.transcript).toBe('550 5.1.1');
    expect(r.accepted).toBe(false);
  });
});
