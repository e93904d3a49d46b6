import type { SystemDecl } from '../../../model/model.js';
import type { RoutingTable } from '../../../routing/table.js';
import { safeComment, type MapType } from './map-syntax.js';
import type { PostfixRoutes } from './postfix-routes.js';
import { relayRightsLines } from './relay-rights.js';
import { serverLines } from './server-settings.js';

/**
 * Postfix's default parent_domain_matches_subdomains (postconf -d, mail_params.h
 * DEF_PAR_DOM_MATCH) without relay_domains: with it, relay_domains = example.com would also
 * accept anything.example.com (STANDARD_CONFIGURATION_README), which no policy says.
 */
export const PARENT_DOMAIN_MATCHES_SUBDOMAINS =
  'debug_peer_list fast_flush_domains mynetworks permit_mx_backup_networks qmqpd_authorized_clients smtpd_access_maps';

/**
 * The main.cf settings of one system as `name = value` lines, one per `postconf -e`
 * argument, with a comment above each group that says why (postconf(5) parameter names).
 */
export function mainCf(s: SystemDecl, table: RoutingTable, routes: PostfixRoutes, dir: string, type: MapType): string {
  const map = (file: string): string => `${type}:${dir}/${file}`;
  const l: string[] = [
    `# main.cf settings of system ${JSON.stringify(s.name)}: one "postconf -e" argument per line (docs/postfix.md).`,
    `# Deploy with: chainmail deploy postfix DIR --system ${s.name} (postmap the maps, postconf -e, postfix check, reload;`,
    `# rolled back when a step fails). The maps live in ${dir}. The relay domains must not also be listed in`,
    '# mydestination or virtual_*_domains: a domain belongs to one Postfix address class.',
    '',
    '# the maps chainmail writes: accepted domains, valid recipients, routes, rewrites',
    `relay_domains = ${map('relay_domains')}`,
    `relay_recipient_maps = ${map('relay_recipients')}`,
    `transport_maps = ${map('transport')}`,
    `virtual_alias_maps = ${map('virtual')}`,
    '# UTF-8 addresses (RFC 6531), and table keys case-folded as the maps and chainmail route compare',
    '# them (postconf(5) smtputf8_enable: Unicode full case folding; the default from compatibility_level 1)',
    'smtputf8_enable = yes',
    '',
    ...relayRightsLines(s),
    '# reject unknown recipients at RCPT time with a permanent 550 5.1.1 instead of bouncing later',
    'smtpd_reject_unlisted_recipient = yes',
    'unknown_relay_recipient_reject_code = 550',
    '# relay_domains must not match subdomains: a shared domain does not silently accept *.domain',
    `parent_domain_matches_subdomains = ${PARENT_DOMAIN_MATCHES_SUBDOMAINS}`,
    // hopLimit counts the Received: headers a message arrives with (docs/routing.md, as the
    // relay and the engine count); Postfix's cleanup(8) also counts the header its own smtpd
    // or pickup just added (postconf(5) hopcount_limit), so the same limit is one more here
    `# Received: headers, this host's own included, at which a message is bounced as a loop:`,
    `# hopLimit of ${JSON.stringify(s.name)} (${table.hopLimit}, arriving headers) plus the one Postfix adds`,
    `hopcount_limit = ${table.hopLimit + 1}`,
    '# no catch-all for unknown local users: luser_relay into a shared domain would loop (KB 321721 step 3)',
    'luser_relay =',
    '',
    ...serverLines(s),
  ];
  if (table.unresolved) {
    l.push('', `# forwardUnresolvedTo: unresolved recipients of the accepted domains go to ${table.unresolved.hosts.map((h) => h.display).join(', ')}`);
    l.push('# through the domain entries of the transport map (not fallback_transport, which serves only local(8))');
  }
  if (routes.relayhost) {
    l.push('', `# connector ${JSON.stringify(routes.relayhost.connector)} (address space "*"): the next hop of all other mail sent from here.`);
    l.push('# It is not a relay permission: Postfix never relays "*" for other hosts.');
    l.push(`relayhost = ${routes.relayhost.value}`);
  } else if (table.kind === 'exchange') {
    // Postfix files for an Exchange system (build --postfix-for): Exchange has no route out
    // without a send connector (the Unreachable queue, an NDR 5.4.4; docs/exchange.md), and
    // default_transport serves exactly the domains no transport entry or relay_domains covers
    l.push('', '# an Exchange system without a send connector for "*": mail to any other domain is returned, as Exchange does');
    l.push('default_transport = error:5.4.4 no send connector covers the domain');
  }
  return `${l.map((x) => (x.startsWith('#') ? safeComment(x) : x)).join('\n')}\n`;
}
