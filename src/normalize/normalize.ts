import type { Path } from '../diagnostics/diagnostic.js';
import type { MailboxFileLine } from '../load/load.js';
import type { ChainmailFile, Config } from '../model/model.js';
import {
  DEFAULT_HOP_LIMIT,
  type AddressEntry,
  type ChainDecl,
  type ConnectorDecl,
  type ContactDecl,
  type DomainDecl,
  type ExpectKind,
  type MailboxDecl,
  type Model,
  type PolicyDecl,
  type ProxyAddressDecl,
  type RouteTestDecl,
  type SystemDecl,
} from '../model/model.js';
import { parseAddress, parseDomain, parseHost } from './address.js';
import { cloudConnectors, cloudDecls, cloudPolicies } from './cloud.js';
import { items } from './items.js';
import { domainDns, sending } from './mail-auth.js';

/**
 * Builds the model (IR) from a validated document. What failed the schema was left out by
 * the validate stage (list items become holes, so paths keep their indexes).
 */
export function normalize(
  file: string,
  config: ChainmailFile,
  mailboxFiles: ReadonlyMap<string, readonly MailboxFileLine[]> = new Map(),
  rejected: Model['rejected'] = { systems: new Set(), domains: new Set() },
): Model {
  const domains = new Map<string, DomainDecl>();
  for (const [name, d] of Object.entries(config.domains ?? {})) {
    if (!d) continue;
    const dn = parseDomain(name);
    const { error: _e, ...domainName } = dn;
    const key = dn.ascii || `\u0000${name.toLowerCase()}`;
    if (domains.has(key)) continue; // the domain-declared-twice finding comes from the rule
    domains.set(key, {
      name: domainName,
      ...(d.description !== undefined ? { description: d.description } : {}),
      remote: d.remote ?? false,
      dns: domainDns(d, ['domains', name]),
      path: ['domains', name],
    });
  }

  const systems = new Map<string, SystemDecl>();
  for (const [name, s] of Object.entries(config.systems ?? {})) {
    if (!s) continue;
    systems.set(name, system(name, s, mailboxFiles.get(name) ?? []));
  }

  const exchangeSystems = [...systems.values()].filter((s) => s.kind === 'exchange');
  const policies: PolicyDecl[] = [];
  (config.policies ?? []).forEach((p, i) => {
    if (!p) return;
    policies.push({
      name: p.name,
      system: p.system,
      default: p.default ?? false,
      filter: p.filter,
      addresses: items(p.addresses, (a, j) => {
        const { error: _e, ...domain } = parseDomain(a.space.slice(1));
        return {
          domain,
          primary: a.primary ?? false,
          authoritative: a.authoritative ?? false,
          path: ['policies', i, 'addresses', j],
        };
      }),
      path: ['policies', i],
    });
  });
  for (const s of systems.values()) policies.push(...cloudPolicies(s));

  const connectors: ConnectorDecl[] = [];
  (config.connectors ?? []).forEach((c, i) => {
    if (!c) return;
    const base: Path = ['connectors', i];
    connectors.push({
      name: c.name,
      systems: typeof c.system === 'string' ? [c.system] : [...c.system],
      addressSpaces: items(c.addressSpaces, (s, j) => {
        const { error: _e, ...domain } = parseDomain(s);
        return { domain: s === '*' ? ('*' as const) : domain, path: [...base, 'addressSpaces', j] };
      }),
      ...(c.to !== undefined ? { to: c.to } : {}),
      smartHosts: items(c.smartHosts, (h, j) => ({ ...parseHost(h), path: [...base, 'smartHosts', j] })),
      allowRelay: c.allowRelay ?? false,
      path: base,
    });
  });
  for (const s of systems.values()) connectors.push(...cloudConnectors(s));

  const chains: ChainDecl[] = [];
  (config.chains ?? []).forEach((c, i) => {
    if (!c) return;
    chains.push({
      name: c.name,
      domains: items(c.domains, (d, j) => {
        const { error: _e, ...domain } = parseDomain(d);
        return { domain, path: ['chains', i, 'domains', j] };
      }),
      order: [...c.order],
      ...(c.rejectUnknownAtGateway !== undefined ? { rejectUnknownAtGateway: c.rejectUnknownAtGateway } : {}),
      path: ['chains', i],
    });
  });

  const contacts: ContactDecl[] = [];
  (config.contacts ?? []).forEach((c, i) => {
    if (!c) return;
    contacts.push(contact(c, i, exchangeSystems.length === 1 ? exchangeSystems[0]?.name : undefined));
  });

  const tests: RouteTestDecl[] = [];
  (config.tests ?? []).forEach((t, i) => {
    if (!t) return;
    const e = t.expect;
    const kind = (['delivered', 'bounced', 'refused', 'looped', 'external'] as const).find((k) => e[k] !== undefined);
    if (!kind) return;
    const target = kind === 'looped' ? true : String(e[kind]);
    tests.push({
      to: t.to,
      from: t.from ?? 'internet',
      expect: { kind: kind as ExpectKind, target, ...(e.status !== undefined ? { status: e.status } : {}) },
      path: ['tests', i],
    });
  });

  return {
    file,
    ...(config.name !== undefined ? { name: config.name } : {}),
    ...(config.directory?.baseDn !== undefined ? { baseDn: config.directory.baseDn } : {}),
    domains,
    systems,
    policies,
    connectors,
    chains,
    contacts,
    tests,
    lintRules: { ...(config.lint?.rules ?? {}) } as Record<string, 'off' | 'warning' | 'error'>,
    config,
    rejected,
  };
}

/** The aliases of a mailbox without any: one frozen array shared by the 100,000 lines of a mailbox file, not one each. */
const NO_ALIASES: readonly AddressEntry[] = Object.freeze([]);

function system(name: string, s: Config.System, fileLines: readonly MailboxFileLine[]): SystemDecl {
  const base: Path = ['systems', name];
  const mailboxes: MailboxDecl[] = [];
  (s.mailboxes ?? []).forEach((m, i) => {
    if (m === undefined) return;
    if (typeof m === 'string') {
      mailboxes.push({ address: parseAddress(m), at: { path: [...base, 'mailboxes', i] }, aliases: NO_ALIASES });
    } else {
      const aliases: AddressEntry[] = items(m.aliases, (a, j) => ({
        address: parseAddress(a),
        at: { path: [...base, 'mailboxes', i, 'aliases', j] },
      }));
      mailboxes.push({ address: parseAddress(m.address), at: { path: [...base, 'mailboxes', i, 'address'] }, aliases });
    }
  });
  for (const line of fileLines) {
    mailboxes.push({ address: parseAddress(line.address), at: { span: line.span }, aliases: NO_ALIASES });
  }
  return {
    name,
    kind: s.kind,
    host: parseHost(s.host),
    port: s.port ?? 25,
    gateway: s.gateway ?? false,
    hopLimit: s.hopLimit ?? DEFAULT_HOP_LIMIT[s.kind],
    forwardUnresolvedTo: s.forwardUnresolvedTo ?? null,
    ...(s.routingDomain !== undefined ? { routingDomain: { ...parseDomain(s.routingDomain), path: [...base, 'routingDomain'] } } : {}),
    ...(s.localTransport !== undefined ? { localTransport: s.localTransport } : {}),
    ...(s.maxMessageSize !== undefined ? { maxMessageSize: s.maxMessageSize } : {}),
    ...(s.mynetworks !== undefined ? { mynetworks: s.mynetworks } : {}),
    sasl: s.sasl ?? false,
    nullSender: s.nullSender ?? 'accept',
    ...(s.mydestination !== undefined ? { mydestination: s.mydestination } : {}),
    listsRecipients: s.mailboxes !== undefined || s.mailboxFiles !== undefined,
    mailboxes,
    ...(s.sends ? { sends: sending(s.sends, [...base, 'sends']) } : {}),
    srs: s.srs ?? false,
    ...(s.directory !== undefined ? { directory: s.directory } : {}),
    ...cloudDecls(name, s),
    path: base,
  };
}

/** Strips an `smtp:`/`SMTP:` prefix; the upper-case form marks the primary address. */
export function splitProxy(value: string): { address: string; primary: boolean; prefixed: boolean } {
  const m = /^(smtp):(.*)$/i.exec(value);
  if (!m) return { address: value, primary: false, prefixed: false };
  return { address: m[2] ?? '', primary: m[1] === 'SMTP', prefixed: true };
}

function contact(c: Config.Contact, i: number, onlyExchange: string | undefined): ContactDecl {
  const base: Path = ['contacts', i];
  const target = splitProxy(c.targetAddress);
  const proxies: ProxyAddressDecl[] = items(c.proxyAddresses, (p, j) => {
    const sp = splitProxy(p);
    return { address: parseAddress(sp.address), primary: sp.primary, at: { path: [...base, 'proxyAddresses', j] } };
  });
  const system = c.system ?? onlyExchange;
  return {
    cn: c.cn,
    ...(c.ou !== undefined ? { ou: c.ou } : {}),
    ...(system !== undefined ? { system } : {}),
    ...(c.givenName !== undefined ? { givenName: c.givenName } : {}),
    ...(c.sn !== undefined ? { sn: c.sn } : {}),
    displayName: c.displayName ?? c.cn,
    ...(c.mailNickname !== undefined ? { mailNickname: c.mailNickname } : {}),
    targetAddress: parseAddress(target.address),
    proxyAddresses: proxies,
    path: base,
  };
}
