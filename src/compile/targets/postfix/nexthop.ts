import { isIP } from 'node:net';
import type { HopHost, NextHop } from '../../../routing/table.js';

/**
 * One next-hop host in Postfix's SMTP dialect: always `[host]:port`. The brackets turn
 * off MX lookups ("The [] form is required when you specify an IP address", transport(5));
 * Postfix's gateway recipe brackets every next hop so that a host which is itself an MX
 * of the shared domain cannot route the mail back here (STANDARD_CONFIGURATION_README).
 * IPv6 addresses take the `ipv6:` prefix inside the brackets (postconf(5), "smtp_bind_address6").
 */
export function postfixHost(h: HopHost): string {
  const host = isIP(h.host) === 6 ? `ipv6:${h.host}` : h.host;
  return `[${host}]:${h.port}`;
}

/**
 * The transport(5) value of a next hop through the `relay` service (a clone of smtp that
 * keeps inbound relay traffic apart from outbound mail). Several hosts are tried in order,
 * separated by ", " (Postfix 3.5 and later; transport(5) "nexthop ... a list").
 */
export function relayTransport(hop: NextHop): string {
  return `relay:${hop.hosts.map(postfixHost).join(', ')}`;
}

/** The same hosts as a `relayhost` value (main.cf; a list from Postfix 3.5 on). */
export function relayhostValue(hop: NextHop): string {
  return hop.hosts.map(postfixHost).join(', ');
}
