import type { Path } from '../diagnostics/diagnostic.js';
import type { Config, ConnectorDecl, ExchangeOnlineDecl, GoogleWorkspaceDecl, PolicyDecl, SystemDecl } from '../model/model.js';
import { parseAddress, parseDomain, parseHost } from './address.js';
import { items } from './items.js';

/**
 * The cloud kinds (docs/exchange-online.md, docs/google-workspace.md) keep their objects on
 * the system (acceptedDomains, outboundConnectors, splitDelivery, ...), as their admin
 * centres do. The routing stage reads their authority and connectors from the same
 * recipient policies and connectors as every other system, so one table compiler and one
 * resolve() serve all kinds: this module derives those from the cloud objects, each with
 * the path of the object it comes from.
 */
export function cloudDecls(name: string, s: Config.System): Pick<SystemDecl, 'exchangeOnline' | 'googleWorkspace'> {
  const base: Path = ['systems', name];
  if (s.kind === 'exchange-online') {
    const exchangeOnline: ExchangeOnlineDecl = {
      acceptedDomains: Object.entries(s.acceptedDomains ?? {}).flatMap(([d, type]) => {
        if (!type) return [];
        const { error: _e, ...domain } = parseDomain(d);
        return [{ domain, type, path: [...base, 'acceptedDomains', d] }];
      }),
      outbound: items(s.outboundConnectors, (c, j) => {
        const path: Path = [...base, 'outboundConnectors', j];
        return {
          name: c.name,
          recipientDomains: c.recipientDomains.map((d) => (d === '*' ? ('*' as const) : stripError(parseDomain(d)))),
          ...(c.to !== undefined ? { to: c.to } : {}),
          smartHosts: (c.smartHosts ?? []).map(parseHost),
          useMxRecord: c.useMxRecord ?? false,
          ...(c.tls !== undefined ? { tls: c.tls } : {}),
          ...(c.tlsDomain !== undefined ? { tlsDomain: c.tlsDomain } : {}),
          centralizedMailTransport: c.centralizedMailTransport ?? false,
          path,
        };
      }),
      inbound: items(s.inboundConnectors, (c, j) => ({
        name: c.name,
        from: [...c.from],
        connectorType: c.connectorType ?? 'OnPremises',
        senderIPAddresses: [...(c.senderIPAddresses ?? [])],
        ...(c.tlsSenderCertificateName !== undefined ? { tlsSenderCertificateName: c.tlsSenderCertificateName } : {}),
        path: [...base, 'inboundConnectors', j],
      })),
      mailUsers: items(s.mailUsers, (u, j) => ({
        address: parseAddress(u.address),
        external: parseAddress(u.externalEmailAddress),
        name: u.name ?? u.address,
        type: u.type ?? 'mailUser',
        path: [...base, 'mailUsers', j],
      })),
    };
    return { exchangeOnline };
  }
  if (s.kind === 'google-workspace') {
    const split = s.splitDelivery;
    const googleWorkspace: GoogleWorkspaceDecl = {
      domains: items(s.workspaceDomains, (d, j) => ({ domain: stripError(parseDomain(d)), path: [...base, 'workspaceDomains', j] })),
      suspended: items(s.suspended, (a, j) => ({ address: parseAddress(a), at: { path: [...base, 'suspended', j] } })),
      withoutGmail: items(s.withoutGmail, (a, j) => ({ address: parseAddress(a), at: { path: [...base, 'withoutGmail', j] } })),
      ...(split ? { splitDelivery: { to: split.to, which: split.which ?? 'unrecognized', path: [...base, 'splitDelivery'] } } : {}),
      ...(s.dualDelivery ? { dualDelivery: { to: s.dualDelivery.to, path: [...base, 'dualDelivery'] } } : {}),
      inboundGateways: [...(s.inboundGateways ?? [])],
    };
    return { googleWorkspace };
  }
  return {};
}

/**
 * The recipient policies a cloud system's domains amount to: an Exchange Online accepted
 * domain is authoritative exactly when its type is Authoritative (ExternalRelay routes like
 * InternalRelay); a Google Workspace domain is authoritative unless split delivery routes
 * its unrecognised recipients on (then Gmail, like an internal relay domain, passes them on).
 */
export function cloudPolicies(s: SystemDecl): PolicyDecl[] {
  const exo = s.exchangeOnline;
  if (exo) {
    return exo.acceptedDomains.map((a) => ({
      name: `accepted domain ${a.domain.display}`,
      system: s.name,
      default: false,
      filter: undefined,
      addresses: [{ domain: a.domain, primary: false, authoritative: a.type === 'Authoritative', path: a.path }],
      path: a.path,
    }));
  }
  const g = s.googleWorkspace;
  if (g && g.domains.length > 0) {
    return [
      {
        name: 'Google Workspace domains',
        system: s.name,
        default: false,
        filter: undefined,
        addresses: g.domains.map((d, i) => ({ domain: d.domain, primary: i === 0, authoritative: !g.splitDelivery, path: d.path })),
        path: [...s.path, 'workspaceDomains'],
      },
    ];
  }
  return [];
}

/**
 * The connectors of an Exchange Online system: each outbound connector with a smart host or
 * a system of the file. A smart host is looked up by its A record, never MX (UseMXRecord
 * $false), so it counts as bracketed. Connectors that use MX are routed by resolve() itself.
 */
export function cloudConnectors(s: SystemDecl): ConnectorDecl[] {
  const out: ConnectorDecl[] = [];
  for (const c of s.exchangeOnline?.outbound ?? []) {
    if (c.useMxRecord || (c.to === undefined && c.smartHosts.length === 0)) continue;
    out.push({
      name: c.name,
      systems: [s.name],
      addressSpaces: c.recipientDomains.map((d, j) => ({ domain: d, path: [...c.path, 'recipientDomains', j] })),
      ...(c.to !== undefined ? { to: c.to } : {}),
      smartHosts: c.smartHosts.map((h, j) => ({ ...h, bracketed: true, path: [...c.path, 'smartHosts', j] })),
      allowRelay: true,
      path: c.path,
    });
  }
  return out;
}

function stripError<T extends { error?: string }>(d: T): Omit<T, 'error'> {
  const { error: _e, ...rest } = d;
  return rest;
}
