import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/tools.js';
import { requireBuiltCli, spawnRelay } from './support/child.js';
import { maildir, makeOrg, message, waitFor, type Org } from './support/org.js';
import { RawSmtp, sendOnce } from './support/smtp-client.js';

/** SIGHUP swaps the routing table without refusing a connection; a broken table is refused and logged. */
const built = requireBuiltCli();

const yaml = (port: number, withNew: boolean): string => `
version: 1
name: reload
domains:
  example.test: {}
${withNew ? '  new.test: {}\n' : ''}systems:
  gw:
    kind: relay
    host: "[127.0.0.1]:${port}"
    gateway: true
    mailboxes: [alice@example.test${withNew ? ', bob@new.test' : ''}]
policies:
  - { name: gw, system: gw, addresses: [{ space: "@example.test", primary: true, authoritative: true }] }
${withNew ? '  - { name: new, system: gw, addresses: [{ space: "@new.test", authoritative: true }] }\n' : ''}`;

let org: Org;
let port: number;

beforeAll(async () => {
  port = await freePort();
  org = makeOrg(yaml(port, false));
});

afterAll(() => org?.cleanup());

async function rcptCode(rcpt: string): Promise<number> {
  const { client } = await RawSmtp.open(port);
  await client.cmd('EHLO reload.test');
  await client.cmd('MAIL FROM:<s@outside.test>');
  const r = await client.cmd(`RCPT TO:<${rcpt}>`);
  await client.quit();
  return r.code;
}

describe.skipIf(!built)('SIGHUP reload', () => {
  it('changes routing without refusing a connection, and keeps the old table when the new one is broken', async () => {
    const spool = join(org.dir, 'spool-reload');
    const relay = spawnRelay(['--routes', org.routes('gw'), '--listen', `127.0.0.1:${port}`, '--spool', spool, '--greeting-delay', '0']);
    try {
      await relay.event((e) => e['event'] === 'listen');
      expect(await rcptCode('bob@new.test')).toBe(554);

      // clients keep connecting during the reloads; every one must be served
      let stop = false;
      let sent = 0;
      const failures: string[] = [];
      const workers = Array.from({ length: 3 }, async (_, w) => {
        while (!stop) {
          try {
            const r = await sendOnce(port, 'load@outside.test', ['alice@example.test'], message(`reload load ${w} ${sent}`));
            if (r.ok) sent++;
            else failures.push(JSON.stringify(r.replies));
          } catch (e) {
            failures.push((e as Error).message);
          }
        }
      });

      // a new table, replaced atomically as a deployment would (write + rename)
      const routes = org.routes('gw');
      const fresh = makeOrg(yaml(port, true));
      renameSync(fresh.routes('gw'), `${routes}.new`);
      renameSync(`${routes}.new`, routes);
      fresh.cleanup();
      relay.proc.kill('SIGHUP');
      await relay.event((e) => e['event'] === 'reload' && e['ok'] === true);
      expect(await rcptCode('bob@new.test')).toBe(250);
      const r = await sendOnce(port, 's@outside.test', ['bob@new.test'], message('after reload'));
      expect(r.ok).toBe(true);
      await waitFor(() => maildir(spool, 'bob@new.test').length === 1);

      // a broken file: refused, logged, the table in use stays
      writeFileSync(routes, '{ "version": 1, "system": ');
      relay.proc.kill('SIGHUP');
      const bad = await relay.event((e) => e['event'] === 'reload' && e['ok'] === false);
      expect(String(bad['error'])).toMatch(/not valid JSON/);
      expect(await rcptCode('bob@new.test')).toBe(250);

      const before = sent;
      await waitFor(() => sent >= before + 20, 10_000, 'traffic after the reloads');
      stop = true;
      await Promise.all(workers);
      expect(failures).toEqual([]);
      expect(sent).toBeGreaterThan(20);
    } finally {
      relay.proc.kill('SIGTERM');
      expect(await relay.exited).toBe(0);
    }
  }, 60_000);
});

describe.skipIf(!built)('SIGTERM', () => {
  it('stops accepting, finishes the transaction in progress, and exits 0', async () => {
    org.rewrite(yaml(port, false));
    const spool = join(org.dir, 'spool-term');
    const relay = spawnRelay(['--routes', org.routes('gw'), '--listen', `127.0.0.1:${port}`, '--spool', spool, '--greeting-delay', '0']);
    try {
      await relay.event((e) => e['event'] === 'listen');
      const { client: busy } = await RawSmtp.open(port);
      const { client: idle } = await RawSmtp.open(port);
      await busy.cmd('EHLO busy.test');
      await busy.cmd('MAIL FROM:<s@outside.test>');
      await busy.cmd('RCPT TO:<alice@example.test>');
      expect((await busy.cmd('DATA')).code).toBe(354);
      busy.write(message('in flight at SIGTERM'));
      relay.proc.kill('SIGTERM');
      // the idle session is told at once
      expect((await idle.reply()).code).toBe(421);
      await new Promise((r) => setTimeout(r, 200));
      expect((await busy.cmd('.')).code).toBe(250);
      expect((await busy.cmd('MAIL FROM:<s@outside.test>')).code).toBe(421);
      expect(await relay.exited).toBe(0);
      expect(maildir(spool, 'alice@example.test').some((f) => f.includes('Subject: in flight at SIGTERM'))).toBe(true);
    } finally {
      relay.proc.kill('SIGKILL');
    }
  }, 30_000);
});
