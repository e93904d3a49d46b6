import { isIPv4, isIPv6 } from 'node:net';
import type { SystemDecl } from '../../../model/model.js';

/**
 * Who may relay through a Postfix system, and the main.cf lines that say so. Only what the
 * file grants: `mynetworks` (permit_mynetworks, with mynetworks set to exactly that list,
 * never Postfix's default mynetworks_style = subnet, which trusts every host on the
 * server's subnets) and `sasl` (permit_sasl_authenticated). Everyone else may send only to
 * relay_domains (reject_unauth_destination, postconf(5) smtpd_relay_restrictions).
 */
export function relayRightsLines(s: SystemDecl): string[] {
  const permits: string[] = [];
  const l: string[] = [];
  if (s.mynetworks !== undefined) {
    l.push(
      `# mynetworks of ${JSON.stringify(s.name)}: SMTP clients at these addresses (local users and applications) may relay;`,
      '# written out so that Postfix never falls back to mynetworks_style = subnet (every host on its subnets)',
      `mynetworks = ${s.mynetworks.join(' ')}`.trimEnd(),
    );
    if (s.mynetworks.length > 0) permits.push('permit_mynetworks');
  }
  if (s.sasl) {
    l.push(
      `# sasl: clients that authenticate may relay; AUTH is offered only after STARTTLS (smtpd_tls_auth_only).`,
      '# Set smtpd_sasl_type and smtpd_sasl_path for your SASL server (docs/postfix.md).',
      'smtpd_sasl_auth_enable = yes',
      'smtpd_tls_auth_only = yes',
    );
    permits.push('permit_sasl_authenticated');
  }
  const granted = permits.length === 0 ? 'no client earns relay rights (not even loopback), so this is never an open relay' : `only ${permits.join(' and ')} may relay elsewhere`;
  l.push(
    `# relay only to relay_domains for everyone else: ${granted};`,
    '# unauthorised destinations get 554 5.7.1. Local sendmail/pickup submissions do not pass smtpd at all.',
    `smtpd_relay_restrictions = ${[...permits, 'reject_unauth_destination'].join(', ')}`,
  );
  return l;
}

/**
 * Why a `mynetworks` entry cannot be written as it is, or undefined. Postfix does not take a
 * network whose host bits are set as written ("non-null host address bits", cidr_match.c)
 * and needs IPv6 in brackets (postconf(5) mynetworks).
 */
export function networkProblem(entry: string): string | undefined {
  const m = /^(\[?)([^\]/]+)\]?(?:\/(\d+))?$/.exec(entry);
  if (!m) return 'is no address or network';
  const [, bracket, addr = '', len] = m;
  const v6 = bracket === '[';
  if (v6 ? !isIPv6(addr) : !isIPv4(addr)) return v6 ? 'is no IPv6 address' : 'is no IPv4 address';
  const bits = v6 ? 128 : 32;
  if (len === undefined) return undefined;
  const n = Number(len);
  if (n > bits) return `has a prefix longer than ${bits} bits`;
  const value = v6 ? ipv6Value(addr) : addr.split('.').reduce((a, o) => (a << 8n) | BigInt(o), 0n);
  const host = (1n << BigInt(bits - n)) - 1n;
  if ((value & host) !== 0n) return `has host bits set: write ${JSON.stringify(networkOf(value, n, bits, v6))}`;
  return undefined;
}

function ipv6Value(addr: string): bigint {
  // an embedded IPv4 tail (::ffff:192.0.2.1) becomes two groups
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(addr);
  const hex = (a: string | undefined, b: string | undefined): string => ((Number(a) << 8) | Number(b)).toString(16);
  const text = tail ? `${addr.slice(0, tail.index)}${hex(tail[1], tail[2])}:${hex(tail[3], tail[4])}` : addr;
  const [head = '', rest] = text.split('::');
  const h = head ? head.split(':') : [];
  const r = rest === undefined ? [] : rest ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  return groups.reduce((a, g) => (a << 16n) | BigInt(`0x${g || '0'}`), 0n);
}

function networkOf(value: bigint, n: number, bits: number, v6: boolean): string {
  const net = (value >> BigInt(bits - n)) << BigInt(bits - n);
  if (!v6) return `${[24n, 16n, 8n, 0n].map((s) => String((net >> s) & 255n)).join('.')}/${n}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((net >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]/${n}`;
}
