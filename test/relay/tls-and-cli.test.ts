import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseListen } from '../../src/cli/commands/relay.js';
import { run } from '../cli/support.js';
import { findTool, freePort } from '../support/tools.js';
import { requirePython, smtplib } from './support/clients.js';
import { maildir, makeOrg, message, startSystem, waitFor, type Org } from './support/org.js';
import { RawSmtp } from './support/smtp-client.js';

const python = requirePython();
const openssl = findTool('openssl');
if (!openssl) {
  if (process.env['CI']) throw new Error('openssl not found; CI is set, so the STARTTLS test fails instead of skipping');
  console.warn('skipping the STARTTLS test: openssl not found');
}

let org: Org;

beforeAll(async () => {
  const [pg, pp] = [await freePort(), await freePort()];
  org = makeOrg(`
version: 1
name: tls
domains:
  example.test: {}
systems:
  gw: { kind: relay, host: "[127.0.0.1]:${pg}", gateway: true, mailboxes: [alice@example.test] }
  peer: { kind: relay, host: "[127.0.0.1]:${pp}", mailboxes: [] }
policies:
  - { name: gw, system: gw, addresses: [{ space: "@example.test", primary: true, authoritative: true }] }
`);
});

afterAll(() => org?.cleanup());

describe.skipIf(!openssl || !python)('STARTTLS', () => {
  it('is offered only with --tls-cert/--tls-key, and works with a real client', async () => {
    const key = join(org.dir, 'key.pem');
    const cert = join(org.dir, 'cert.pem');
    execFileSync(openssl!, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=gw.relay.test'], { stdio: 'ignore' });
    const gw = await startSystem(org, 'gw', { tls: { cert, key } });
    try {
      const { client } = await RawSmtp.open(gw.address().port);
      expect((await client.cmd('EHLO c.test')).lines).toContain('STARTTLS');
      await client.quit();
      const r = await smtplib(python!, gw.address().port, 'sender@outside.test', ['alice@example.test'], message('over tls'), [], true);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      expect(r.tls).toMatch(/^TLSv1\.[23]$/);
      const file = await waitFor(() => maildir(gw.spoolDir, 'alice@example.test').find((f) => f.includes('Subject: over tls')));
      expect(file.toString()).toMatch(/with ESMTPS id/);
    } finally {
      await gw.close();
    }
  });
});

describe('greeting delay defaults', () => {
  it('is on (100 ms) for a gateway and off for a chain peer', async () => {
    for (const [system, delay] of [['gw', 100], ['peer', 0]] as const) {
      const r = await startSystem(org, system, { greetingDelay: undefined, spool: join(org.dir, `spool-delay-${system}`) } as never);
      try {
        expect(r.events.find((e) => e.event === 'listen')?.['greetingDelay']).toBe(delay);
      } finally {
        await r.close();
      }
    }
  });
});

describe('chainmail relay (CLI usage)', () => {
  it.each([
    [[], /--routes FILE is required/],
    [['--routes', 'r.json'], /--listen HOST:PORT is required/],
    [['--routes', 'r.json', '--listen', '127.0.0.1:25'], /--spool DIR is required/],
    [['--routes', 'r.json', '--listen', 'localhost', '--spool', 's'], /--listen needs HOST:PORT/],
    [['--routes', 'r.json', '--listen', '127.0.0.1:25', '--spool', 's', '--tls-cert', 'c.pem'], /--tls-cert and --tls-key go together/],
    [['--routes', 'r.json', '--listen', '127.0.0.1:25', '--spool', 's', '--max-size', 'big'], /--max-size needs a whole number/],
  ])('%j is a usage error', async (args, message) => {
    const r = await run(['relay', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('a broken routes.json: one line naming the file, exit 2', async () => {
    const bad = join(org.dir, 'broken.json');
    writeFileSync(bad, '{"version": 1');
    const r = await run(['relay', '--routes', bad, '--listen', '127.0.0.1:0', '--spool', join(org.dir, 'spool-broken')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^chainmail relay: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid JSON .*rebuild it with chainmail build\n$`));
  });

  it('--help', async () => {
    const r = await run(['relay', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--greeting-delay MS');
  });

  it.each([
    ['127.0.0.1:2525', { host: '127.0.0.1', port: 2525 }],
    ['[::1]:25', { host: '::1', port: 25 }],
    ['mail.example.test:0', { host: 'mail.example.test', port: 0 }],
  ])('parses --listen %s', (value, expected) => {
    expect(parseListen(value)).toEqual(expected);
  });
});
