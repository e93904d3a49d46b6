import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../diff/support.js';
import { adPopulation, AD_SUFFIX, SERVICE_DN, SERVICE_PASSWORD, startAdSlapd } from '../support/ad-directory.js';
import type { Slapd } from '../support/slapd.js';
import { useTempTree } from '../support/temp-tree.js';
import { makeTestCa, type TestCa } from '../support/test-ca.js';
import { findTool, requireTools } from '../support/tools.js';

const tools = requireTools('slapd', 'slapadd');
const tree = useTempTree('import-ldap-tls');
const ENV = { CHAINMAIL_LDAP_PASSWORD: SERVICE_PASSWORD };

/** LDAPS and StartTLS with the CA given by --ca (RFC 4513 section 3.1.3: the server's identity is checked). */
describe.skipIf(!tools || !findTool('openssl'))('import ldap over TLS', () => {
  let slapd: Slapd;
  let ca: TestCa;
  beforeAll(async () => {
    ca = await makeTestCa();
    const tls = [`TLSCACertificateFile ${ca.caCert}`, `TLSCertificateFile ${ca.serverCert}`, `TLSCertificateKeyFile ${ca.serverKey}`];
    slapd = await startAdSlapd(adPopulation(20, 5), { globalConfig: tls, ldaps: true });
  }, 120_000);
  afterAll(async () => {
    await slapd?.stop();
    if (ca) rmSync(ca.dir, { recursive: true, force: true });
  });

  const args = (url: string, ...more: string[]): string[] => ['import', 'ldap', url, '--base', AD_SUFFIX, '--system', 'x', '--bind-dn', SERVICE_DN, '--password-env', 'CHAINMAIL_LDAP_PASSWORD', '--out', join(tree.dir, 'snap.yaml'), ...more];

  it.each([
    ['ldaps:// with --ca', () => args(slapd.ldapsUrl ?? '', '--ca', ca.caCert)],
    ['ldap:// with --starttls and --ca', () => args(slapd.url, '--starttls', '--ca', ca.caCert)],
  ])('%s reads every entry', async (_n, argv) => {
    const r = await cli(argv(), tree.dir, { env: ENV });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(readFileSync(join(tree.dir, 'snap.yaml'), 'utf8')).toContain('# 30 mailboxes, 5 contacts, 0 values left out');
  });

  it.each([
    ['ldaps:// without the CA', () => args(slapd.ldapsUrl ?? '')],
    ['StartTLS without the CA', () => args(slapd.url, '--starttls')],
  ])('%s: the certificate is not trusted, one line, exit 2', async (_n, argv) => {
    const r = await cli(argv(), tree.dir, { env: ENV });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^chainmail import: the TLS certificate of ldaps?:\/\/127\.0\.0\.1:\d+ is not trusted \(.*\); give its CA with --ca\n$/);
    expect(r.stderr).not.toContain(SERVICE_PASSWORD);
  });
});
