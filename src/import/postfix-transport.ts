import { parseHost } from '../normalize/address.js';

/**
 * transport(5) values as routes: a local delivery agent, SMTP to a next hop, the MX of
 * the recipient's domain, or something chainmail cannot express.
 */

/**
 * What a transport(5) value does with mail.
 *
 * @public
 */
export type Route =
  | { readonly kind: 'local'; readonly transport: string }
  | { readonly kind: 'forward'; readonly hosts: readonly string[] }
  /** smtp/relay without a next hop: the MX of the recipient's domain. */
  | { readonly kind: 'mx' }
  /** `authoritative`: error:5.1.1, what chainmail build writes for a domain whose unknown recipients are refused here. */
  | { readonly kind: 'unsupported'; readonly why: string; readonly authoritative?: true };

const SMTP_TRANSPORTS = new Set(['smtp', 'relay', '']);
const LOCAL_TRANSPORTS = new Set(['local', 'virtual', 'lmtp']);
/** transport(5) results that chainmail cannot model: mail is refused, dropped or deferred. */
const FINAL_TRANSPORTS = new Set(['error', 'discard', 'retry', 'reject', 'hold']);

/** Classifies one transport(5) value, or returns why it cannot be read. */
export function transportRoute(value: string, localTransports: readonly string[] = []): Route | string {
  if (localTransports.includes(value)) return { kind: 'local', transport: value };
  const colon = value.indexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  const nexthop = colon === -1 ? '' : value.slice(colon + 1).trim();
  if (name === 'error' && /^5\.1\.1(\s|$)/.test(nexthop)) return { kind: 'unsupported', why: 'transport "error:5.1.1" (unknown recipients are refused here)', authoritative: true };
  if (FINAL_TRANSPORTS.has(name)) return { kind: 'unsupported', why: `transport "${name}:" (mail is ${name === 'discard' ? 'dropped' : name === 'retry' || name === 'hold' ? 'deferred' : 'refused'} here)` };
  if (LOCAL_TRANSPORTS.has(name)) return { kind: 'local', transport: value };
  if (SMTP_TRANSPORTS.has(name) || nexthop.startsWith('[')) {
    if (nexthop === '') return { kind: 'mx' };
    const hosts = hostSpecs(nexthop);
    return typeof hosts === 'string' ? hosts : { kind: 'forward', hosts };
  }
  // a pipe(8) or other delivery agent of master.cf (dovecot:, mailman:): delivered here
  return { kind: 'local', transport: value };
}

/**
 * A Postfix next hop (`[host]:port`, `[ipv6:addr]`, `host:port`, a comma-separated list)
 * as chainmail host specs (`[192.168.1.10]`, `[IPv6:2001:db8::25]:2525`, `mx.example.net`);
 * port 25 is left out. Returns the reason when it is not one.
 */
export function hostSpecs(nexthop: string): string[] | string {
  const out: string[] = [];
  for (const item of nexthop.split(/[\s,]+/).filter(Boolean)) {
    let spec: string;
    const bracket = /^\[(ipv6:)?([^\]]+)\](?::(\S+))?$/i.exec(item);
    const plain = /^(?:inet:)?([^:[\]]+)(?::(\S+))?$/.exec(item);
    const port = bracket ? bracket[3] : plain?.[2];
    if (port !== undefined && !/^\d{1,5}$/.test(port)) return `next hop ${JSON.stringify(item)} has the port ${JSON.stringify(port)}: write it as a number`;
    const suffix = port !== undefined && port !== '25' ? `:${port}` : '';
    if (bracket) {
      const host = bracket[2] ?? '';
      spec = bracket[1] || host.includes(':') ? `[IPv6:${host}]${suffix}` : `[${host}]${suffix}`;
    } else if (plain) spec = `${plain[1] ?? ''}${suffix}`;
    else return `next hop ${JSON.stringify(item)} is not [host]:port or host:port`;
    const h = parseHost(spec);
    if (h.error) return `next hop ${JSON.stringify(item)} ${h.error}`;
    out.push(spec);
  }
  return out.length > 0 ? out : `next hop ${JSON.stringify(nexthop)} names no host`;
}

