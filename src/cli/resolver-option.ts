import { isIP } from 'node:net';
import { UsageError } from './io.js';

/**
 * `--resolver HOST:PORT` of `dns-check` and `probe`: the DNS server to ask, an IP address
 * with a port (node:dns's setServers takes addresses only, never a name), IPv6 in brackets.
 * Returns the form setServers wants.
 */
export function resolverAddress(value: string): string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? m?.[2] ?? '';
  const port = Number(m?.[3]);
  const family = isIP(host);
  if (!m || family === 0 || (family === 6 && m[1] === undefined) || port < 1 || port > 65535) {
    throw new UsageError(`--resolver needs an IP address and a port, e.g. 127.0.0.1:53 or [2001:db8::53]:53, not ${JSON.stringify(value)}`);
  }
  return family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
