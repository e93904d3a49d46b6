import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, run } from './tools.js';

/** A throw-away CA and a server certificate for 127.0.0.1 (PEM files), made by the real openssl. */
export interface TestCa {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

export async function makeTestCa(): Promise<TestCa> {
  const openssl = findTool('openssl');
  if (!openssl) throw new Error('openssl not found');
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-ca-'));
  const f = (n: string): string => join(dir, n);
  const steps: string[][] = [
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=chainmail test CA', '-keyout', f('ca.key'), '-out', f('ca.pem')],
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr')],
    ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf'), '-out', f('server.pem')],
  ];
  writeFileSync(f('ext.cnf'), 'subjectAltName = IP:127.0.0.1\n');
  for (const args of steps) {
    const r = await run(openssl, args);
    if (r.code !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.trim()}`);
  }
  return { dir, caCert: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key') };
}
