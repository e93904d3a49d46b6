import { posix } from 'node:path';
import { domainToUnicode } from 'node:url';
import { parseAddress } from '../normalize/address.js';
import type { ImportedDirectory } from './postfix-ldap.js';
import type { ImportedChain, ImportedConnector, ImportedContact, ImportedDomain, ImportedModel, ImportedPolicy, ImportedSystem } from './imported.js';
import type { ImportProblem, Origin } from './postfix-maps.js';

/**
 * The second half of `import postfix`: what the maps were found to say (a PostfixSite, from
 * postfix.ts) written out as the objects of a chainmail file, each with a comment that
 * names the map lines it came from.
 */

/** What the maps of one Postfix system say, in chainmail's terms. */
export interface PostfixSite {
  readonly system: string;
  /** The first ldap: table of the maps, as the system's directory source. */
  readonly directory?: ImportedDirectory;
  readonly host: string;
  /** A TODO about the host, when it was not given. */
  readonly hostNote?: string;
  readonly hopLimit?: number;
  readonly localTransport: string;
  /** A domain whose every recipient is delivered here: the system then lists no recipients. */
  readonly deliversAll?: { readonly domain: string; readonly at: Origin };
  /** The system's own mailboxes (keys). */
  readonly mailboxes: ReadonlySet<string>;
  /** Aliases by mailbox. */
  readonly aliases: ReadonlyMap<string, readonly string[]>;
  /** Accepted domains (A-labels) and their authority, with the lines that decided it. */
  readonly authority: ReadonlyMap<string, { readonly authoritative: boolean; readonly why: string }>;
  /** Domains sent on: to whom, and whether anonymous mail may be relayed there. */
  readonly forwards: readonly { readonly domain: string; readonly hosts: readonly string[]; readonly relay: boolean; readonly why: string }[];
  /** Next hops that are the last system of a chain (the gateway knows their recipients). */
  readonly placeholders: readonly { readonly name: string; readonly hosts: readonly string[]; readonly domains: ReadonlySet<string>; readonly mailboxes: ReadonlySet<string>; readonly at: Origin }[];
  readonly chains: readonly ImportedChain[];
  /** Rewrites (virtual) to addresses that are not mailboxes here: contacts. */
  readonly contacts: readonly { readonly target: string; readonly keys: readonly string[]; readonly at: Origin }[];
  /** The "*" route or relayhost: mail sent from here to every other domain. */
  readonly star?: { readonly hosts: readonly string[]; readonly at: Origin };
  readonly relayDomains: readonly string[];
  readonly virtualKeys: readonly string[];
  readonly sources: readonly string[];
}

const domainOf = (key: string): string => key.slice(key.lastIndexOf('@') + 1);
// comments name a map by its file name: the full paths are in the header
const at = (o: Origin): string => `${posix.basename(o.file)}:${o.line}`;
const show = (d: string): string => domainToUnicode(d) || d;

/** The chainmail file of a Postfix site. `warnings` (lines left out) are listed in its header. */
export function siteModel(site: PostfixSite, warnings: readonly ImportProblem[], generator: string): ImportedModel {
  const system: ImportedSystem = {
    name: site.system,
    kind: 'postfix',
    host: site.host,
    gateway: true,
    ...(site.hopLimit !== undefined && site.hopLimit !== 50 ? { hopLimit: site.hopLimit } : {}),
    ...(site.localTransport !== 'local:' ? { localTransport: site.localTransport } : {}),
    ...(site.directory !== undefined ? { directory: site.directory.source } : {}),
    ...(site.deliversAll && site.mailboxes.size === 0 ? {} : { mailboxes: [...site.mailboxes].sort(cmp).map((address) => ({ address, aliases: site.aliases.get(address) ?? [] })) }),
    comment: [
      `the Postfix system of ${site.sources.map((f) => posix.basename(f)).join(', ')}`,
      ...(site.hostNote !== undefined ? [site.hostNote] : []),
      ...(site.directory !== undefined
        ? [
            `directory: from the ldap: table of ${site.directory.parameter} (${at(site.directory)}); its bind password is not imported: put it in CHAINMAIL_LDAP_PASSWORD`,
            'TODO: move directory: to the system whose recipients the directory holds, then run chainmail import ldap --config FILE --system NAME',
          ]
        : []),
      ...(site.deliversAll && site.mailboxes.size === 0 ? [`no mailboxes key: ${site.deliversAll.domain} accepts any recipient (relay_recipients "@${site.deliversAll.domain}") and delivers it here`] : []),
    ],
  };
  const systems: ImportedSystem[] = [system];
  for (const p of site.placeholders) {
    systems.push({
      name: p.name,
      kind: 'other',
      host: p.hosts[0] ?? '',
      mailboxes: [...p.mailboxes].sort(cmp).map((address) => ({ address, aliases: [] })),
      comment: [
        `TODO: the next hop ${p.hosts.join(', ')} (${at(p.at)}): name it and set its kind;`,
        `its mailboxes are the recipients ${site.system} accepts for ${[...p.domains].sort(cmp).map(show).join(', ')} and sends there;`,
        `how it reaches the recipients of the other systems is not in these maps: remove the next line once its kind is set`,
        'chainmail-disable-next-line unreachable-recipient',
      ],
    });
  }

  const contacts: ImportedContact[] = [];
  const cns = new Set<string>();
  for (const [, c] of site.contacts.map((c) => [c.target, c] as const).sort(([a], [b]) => cmp(a, b))) {
    const local = (c.keys[0] ?? '').slice(0, (c.keys[0] ?? '').lastIndexOf('@'));
    let cn = local || 'contact';
    for (let i = 2; cns.has(cn.toLowerCase()); i++) cn = `${local}-${i}`;
    cns.add(cn.toLowerCase());
    contacts.push({
      cn,
      system: site.system,
      mailNickname: nickname(local),
      targetAddress: c.target,
      proxyAddresses: c.keys,
      comment: [`${at(c.at)}: ${c.keys.join(', ')} -> ${c.target}`],
    });
  }
  const targetDomains = new Set(site.contacts.map((c) => domainOf(parseAddress(c.target).key)));

  // connectors: one per next hop and relay permission, listing its domains
  const connectors: ImportedConnector[] = [];
  const groups = new Map<string, { hosts: readonly string[]; relay: boolean; domains: string[]; why: string[] }>();
  for (const f of site.forwards) {
    const id = `${f.relay}\u0000${f.hosts.join(', ')}`;
    const g = groups.get(id) ?? { hosts: f.hosts, relay: f.relay, domains: [], why: [] };
    g.domains.push(f.domain);
    g.why.push(`${show(f.domain)}: ${f.why}`);
    groups.set(id, g);
  }
  const names = new Set<string>();
  const connectorName = (base: string): string => {
    let n = base;
    for (let i = 2; names.has(n); i++) n = `${base} ${i}`;
    names.add(n);
    return n;
  };
  for (const g of [...groups.values()].sort((a, b) => cmp(a.domains[0] ?? '', b.domains[0] ?? ''))) {
    const p = site.placeholders.find((x) => x.hosts.join(', ') === g.hosts.join(', '));
    const target = p && g.hosts.length === 1 ? { to: p.name } : { smartHosts: g.hosts };
    connectors.push({
      name: connectorName(`To ${p?.name ?? g.hosts.join(', ')}${g.relay ? '' : ' (sent from here only)'}`),
      system: site.system,
      addressSpaces: g.domains.map(show),
      ...target,
      allowRelay: g.relay,
      comment: g.why,
    });
  }
  if (site.star) {
    connectors.push({
      name: connectorName('Default route'),
      system: site.system,
      addressSpaces: ['*'],
      smartHosts: site.star.hosts,
      allowRelay: false,
      comment: [`${at(site.star.at)}: every other domain, for mail sent from here (never a relay permission)`],
    });
  }

  // policies: this system's accepted domains, remote ones apart with the NULL filter
  // a contact's target domain that no system here is authoritative for, and whose
  // recipients the gateway does not know: hosted outside the organisation (method 2)
  const chained = new Set(site.placeholders.flatMap((p) => [...p.domains]));
  const remote = (d: string): boolean => targetDomains.has(d) && site.authority.get(d)?.authoritative !== true && !chained.has(d);
  const accepted = [...site.authority].sort(([a], [b]) => cmp(a, b));
  const policies: ImportedPolicy[] = [];
  const own = accepted.filter(([d]) => !remote(d));
  const away = accepted.filter(([d]) => remote(d));
  if (own.length > 0) policies.push({ name: 'Relay domains', system: site.system, addresses: own.map(([d, a]) => ({ space: `@${show(d)}`, authoritative: a.authoritative })), comment: own.map(([d, a]) => `${show(d)}: ${a.why}`) });
  if (away.length > 0) policies.push({ name: 'Remote domains', system: site.system, filter: null, addresses: away.map(([d]) => ({ space: `@${show(d)}`, authoritative: false })), comment: ['domains of contact targets: hosted outside the organisation (KB 321721 method 2)'] });
  for (const p of site.placeholders) {
    if (p.domains.size > 0) policies.push({ name: `${p.name} domains`, system: p.name, addresses: [...p.domains].sort(cmp).map((d) => ({ space: `@${show(d)}`, authoritative: true })), comment: [`TODO: the last system of the chain; check its authority`] });
  }

  // every domain named anywhere, declared once
  const all = new Set<string>([...site.relayDomains, ...site.forwards.map((f) => f.domain), ...targetDomains]);
  for (const k of [...site.mailboxes, ...site.virtualKeys]) all.add(domainOf(k));
  for (const p of site.placeholders) for (const k of p.mailboxes) all.add(domainOf(k));
  const domains: ImportedDomain[] = [...all].sort(cmp).map((d) => ({ name: show(d), ...(remote(d) ? { remote: true } : {}) }));

  const model: ImportedModel = {
    header: [
      `${generator} from the Postfix maps of system "${site.system}":`,
      ...site.sources.map((s) => `  ${s}`),
      'Each object says where it came from. Review the TODO comments, then run:',
      '  chainmail lint FILE && chainmail test FILE',
      ...(warnings.length > 0 ? ['Left out (chainmail cannot express them):', ...warnings.map((w) => `  ${w.file}${w.line > 0 ? `:${w.line}` : ''}: ${w.message}`)] : []),
    ],
    name: `${site.system} (imported from Postfix)`,
    domains,
    systems,
    policies,
    connectors,
    chains: [...site.chains].sort((a, b) => cmp(a.name, b.name)),
    contacts,
  };
  return model;
}

/** A mailNickname from a local part: the characters Exchange allows in an alias. */
function nickname(local: string): string {
  const n = local.replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]/g, '').replace(/^\.+|\.+$/g, '');
  return n === '' ? 'contact' : n.slice(0, 64);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
