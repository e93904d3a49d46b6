import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePostfixInstance, startPostfix, type PostfixInstance } from '../support/postfix-instance.js';
import { stopPostfix } from '../support/postfix-config.mjs';
import { findTool, freePort, requireTools, run } from '../support/tools.js';

/** Whether process `pid` is gone (or a zombie) within a generous bound. */
async function eventuallyGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z/.test(stat)) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * The private-Postfix helper itself: a gateway that relays example.com to a next hop
 * (the real smtp-sink) through transport_maps, and refuses relaying for anything else.
 */
const tools = requireTools('smtp-sink', 'swaks');
const canRun = requirePostfixInstance() && tools !== undefined;

async function swaks(port: number, to: string): Promise<string> {
  const r = await run(tools?.swaks ?? 'swaks', ['--server', `127.0.0.1:${port}`, '--from', 'sender@internet.test', '--to', to, '--timeout', '10']);
  return r.stdout + r.stderr;
}

describe.skipIf(!canRun)('startPostfix (a private Postfix instance)', () => {
  let postfix: PostfixInstance | undefined;
  let sink: ChildProcess | undefined;
  let sinkDir = '';

  beforeAll(async () => {
    sinkDir = mkdtempSync(join(tmpdir(), 'chainmail-sink-'));
    // smtp-sink drops root privileges (-u) and must be able to write its dump file.
    chmodSync(sinkDir, 0o777);
    const sinkPort = await freePort();
    sink = spawn(tools?.['smtp-sink'] ?? 'smtp-sink', ['-u', 'nobody', '-D', join(sinkDir, 'dump'), `127.0.0.1:${sinkPort}`, '10'], { stdio: 'ignore' });
    postfix = await startPostfix({
      mainCf: [
        'relay_domains = example.com',
        'transport_maps = hash:$config_directory/transport',
        'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      ],
      maps: { transport: `example.com relay:[127.0.0.1]:${sinkPort}\n` },
    });
  });
  afterAll(async () => {
    await postfix?.stop();
    if (sink?.pid !== undefined) sink.kill('SIGTERM');
    if (sinkDir) rmSync(sinkDir, { recursive: true, force: true });
  });

  it('runs with its own configuration', async () => {
    if (!postfix) throw new Error('not started');
    expect((await postfix.postconf(['-h', 'config_directory'])).trim()).toBe(postfix.configDir);
    await postfix.waitForLog(/daemon started/);
    expect(postfix.log()).toMatch(/daemon started/);
  });

  it('has room in the log socket queue, so a burst of log lines cannot wedge postlogd (ensureLogQueue)', () => {
    // 10 (older kernels' default) let every Postfix process block on a full postlog socket under load.
    expect(Number(readFileSync('/proc/sys/net/unix/max_dgram_qlen', 'utf8'))).toBeGreaterThanOrEqual(512);
  });

  it('stops within the time limit: a wedged master is killed with its process group', async () => {
    const other = await startPostfix({ hostname: 'wedged.chainmail-test.localdomain' });
    const pid = Number(readFileSync(join(other.dir, 'queue', 'pid', 'master.pid'), 'utf8'));
    // SIGSTOP the master: `postfix stop` then waits for it forever
    process.kill(pid, 'SIGSTOP');
    const ended = await stopPostfix({ postfix: findTool('postfix') ?? 'postfix', config: other.configDir, pidFile: join(other.dir, 'queue', 'pid', 'master.pid'), ms: 3_000 });
    expect(ended).toBe('killed');
    expect(await eventuallyGone(pid)).toBe(true);
    await other.stop();
  });

  it('relays a relay_domains recipient to the transport_maps next hop', async () => {
    if (!postfix) throw new Error('not started');
    expect(await swaks(postfix.port, 'carol@example.com')).toMatch(/<- {2}250 2\.0\.0 Ok: queued/);
    const line = await postfix.waitForLog(/to=<carol@example\.com>.*status=sent/);
    expect(line).toMatch(/relay=127\.0\.0\.1\[127\.0\.0\.1\]/);
    const dumped = join(sinkDir, 'dump');
    // smtp-sink writes the dump file as it receives; wait for it (bounded by count, not by speed)
    for (let i = 0; i < 250 && !existsSync(dumped); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(dumped, 'utf8')).toMatch(/X-Rcpt-Args: <carol@example\.com>/);
  });

  it('refuses to relay anything else (5.7.1)', async () => {
    if (!postfix) throw new Error('not started');
    expect(await swaks(postfix.port, 'someone@foreign.test')).toMatch(/<\*\* 554 5\.7\.1 <someone@foreign\.test>: Relay access denied/);
  });
});
