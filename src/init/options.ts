import { isIP } from 'node:net';
import type { SystemKind } from '../model/model.js';
import { parseDomain, parseHost } from '../normalize/address.js';
import type { StarterRemote, StarterSystem } from './starter.js';

const KINDS: readonly SystemKind[] = ['exchange', 'postfix', 'relay', 'other'];
// the schema's propertyNames pattern for systems
const SYSTEM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** A flag value that does not make sense, with the reason (the CLI shows it as a usage error). */
export class StarterOptionError extends Error {}

/**
 * A host as chainmail writes it: an IP address always in brackets (the seed's step 4:
 * brackets mean "this host, no MX lookup"), a name as given; the port apart.
 */
export function normalizeHost(raw: string, what: string): { host: string; port?: number } {
  const h = parseHost(raw);
  if (h.error) throw new StarterOptionError(`${what} ${JSON.stringify(raw)} ${h.error}`);
  const literal = isIP(h.host) === 6 ? `IPv6:${h.host}` : h.host;
  const host = h.bracketed || h.isIp ? `[${literal}]` : h.host;
  return { host, ...(h.port !== undefined ? { port: h.port } : {}) };
}

/**
 * Parses `NAME[:KIND][=HOST]` (`unix=[192.168.1.10]`, `forest-b:exchange=[10.20.0.25]`).
 * Without a host, `defaultHost(name)` is used.
 */
export function parseSystemSpec(spec: string, defaultKind: SystemKind, defaultHost: (name: string) => string): StarterSystem {
  const eq = spec.indexOf('=');
  const left = eq === -1 ? spec : spec.slice(0, eq);
  const [name = '', kind = defaultKind, ...more] = left.split(':');
  if (!SYSTEM_NAME.test(name) || more.length > 0) {
    throw new StarterOptionError(`${JSON.stringify(spec)} is not NAME[:KIND][=HOST] with a NAME of letters, digits, ".", "_" or "-"`);
  }
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw new StarterOptionError(`${JSON.stringify(spec)} has an unknown kind ${JSON.stringify(kind)}; use one of ${KINDS.join(', ')}`);
  }
  const rawHost = eq === -1 ? defaultHost(name) : spec.slice(eq + 1);
  return { name, kind: kind as SystemKind, ...normalizeHost(rawHost, `the host of ${name}`) };
}

/** Parses `DOMAIN=HOST` of `--remote` (`remote.domain=[10.1.1.1]`). */
export function parseRemoteSpec(spec: string): StarterRemote {
  const eq = spec.indexOf('=');
  if (eq === -1) throw new StarterOptionError(`--remote ${JSON.stringify(spec)} needs the smart host that reaches it: DOMAIN=HOST, e.g. remote.domain=[10.1.1.1]`);
  const domain = checkDomain(spec.slice(0, eq), '--remote');
  const { host, port } = normalizeHost(spec.slice(eq + 1), `the smart host of ${domain}`);
  return { domain, smartHost: port !== undefined ? `${host}:${port}` : host };
}

/** A domain as given (Unicode kept), or an error naming the flag. */
export function checkDomain(input: string, flag: string): string {
  const d = parseDomain(input);
  if (d.error) throw new StarterOptionError(`${flag} ${JSON.stringify(input)} ${d.error}`);
  return input.toLowerCase().replace(/\.$/, '');
}

/**
 * The private default space for a shared domain (seed step 1: "it need not exist in DNS,
 * e.g. @example.local"): the domain with its last label replaced by `local`.
 */
export function privateSpaceFor(share: string): string {
  const labels = share.split('.');
  return [...labels.slice(0, -1), 'local'].join('.');
}

/** The directory naming context of a domain: `xo.one` -> `dc=xo,dc=one`. */
export function baseDnFor(domain: string): string {
  return domain
    .split('.')
    .map((l) => `dc=${l}`)
    .join(',');
}
