import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { stringify } from 'yaml';

/** One system of a test organisation: its host, gateway flag and what it sends. */
export interface TestSystem {
  readonly host: string;
  readonly sends?: Record<string, unknown>;
  readonly srs?: boolean;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * Writes a chainmail file where `exchange` is the gateway of example.com (DMARC reject) and
 * every other system a non-gateway of kind other; returns its path. Removed in afterAll.
 */
export function writeModel(systems: Readonly<Record<string, TestSystem>>, domain: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-dns-'));
  dirs.push(dir);
  const names = Object.keys(systems);
  const doc = {
    version: 1,
    domains: { 'example.com': { dmarc: { policy: 'reject', rua: ['mailto:dmarc@example.com'] }, ...domain } },
    systems: Object.fromEntries(
      Object.entries(systems).map(([name, s]) => [name, { kind: name === 'exchange' ? 'exchange' : 'other', ...s, ...(name === 'exchange' ? { gateway: true, mailboxes: ['alice@example.com'] } : {}) }]),
    ),
    policies: [{ name: 'Default Policy', system: 'exchange', default: true, addresses: [{ space: '@example.com', primary: true, authoritative: true }] }],
    ...(names.length > 0 ? {} : {}),
  };
  const file = join(dir, 'chainmail.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}
