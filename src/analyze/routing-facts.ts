import type { Fix, Path } from '../diagnostics/diagnostic.js';
import { q } from '../diagnostics/diagnostic.js';
import type { ChainDecl, ConnectorDecl, DomainName, Model, PolicyAddressDecl, PolicyDecl } from '../model/model.js';
import type { ConnectorEntry, RoutingTable } from '../routing/table.js';
import { selectConnector } from '../routing/table.js';
import { yamlSnippet } from './indexes.js';
import { routing } from './routing-index.js';
import type { RuleContext } from './rule.js';

/**
 * Model facts shared by the authority, policy, connector and chain rules (KB 321721
 * method 1 steps 1-4, method 2 steps 1 and 4). Each is memoised per analysis run. The
 * routing decisions themselves come from the compiled tables and `selectConnector`, so
 * the rules and `chainmail route` agree; this module only maps table entries back to the
 * YAML objects (paths) the rules report.
 *
 * Objects with unknown or invalid references are left out: unknown-reference,
 * invalid-address and undeclared-domain report those, and a rule reasoning over a
 * half-defined chain or policy would only add noise.
 */

/** One address of a recipient policy of a known system, with a valid domain. */
export interface PolicyAddressRef {
  readonly policy: PolicyDecl;
  readonly address: PolicyAddressDecl;
}

/** A chain whose systems all exist and appear once each. */
export interface ChainRef {
  readonly chain: ChainDecl;
  /** Index in `chains:` (paths are `['chains', index, ...]`). */
  readonly index: number;
  /** Valid chain domains by A-label. */
  readonly domains: ReadonlyMap<string, DomainName>;
}

/** Where a system stands in the chain that shares a domain. */
export interface ChainPosition {
  readonly ref: ChainRef;
  readonly position: number;
  /** The next system of the chain; absent for the last. */
  readonly next?: string;
  readonly last: boolean;
}

/** Policy addresses by system, then by A-label domain, in file order. */
export function policyAddresses(ctx: RuleContext): ReadonlyMap<string, ReadonlyMap<string, readonly PolicyAddressRef[]>> {
  return ctx.memo('routing-facts:policyAddresses', (model) => {
    const out = new Map<string, Map<string, PolicyAddressRef[]>>();
    for (const policy of model.policies) {
      if (!model.systems.has(policy.system)) continue;
      let bySystem = out.get(policy.system);
      if (!bySystem) out.set(policy.system, (bySystem = new Map()));
      for (const address of policy.addresses) {
        const d = address.domain.ascii;
        if (!d) continue;
        const list = bySystem.get(d);
        if (list) list.push({ policy, address });
        else bySystem.set(d, [{ policy, address }]);
      }
    }
    return out;
  });
}

/** The policy addresses of one system for one domain (file order). */
export function addressesOf(ctx: RuleContext, system: string, domain: string): readonly PolicyAddressRef[] {
  return policyAddresses(ctx).get(system)?.get(domain) ?? [];
}

/** Chains that every later rule can reason over (see {@link ChainRef}). */
export function validChains(ctx: RuleContext): readonly ChainRef[] {
  return ctx.memo('routing-facts:validChains', (model) => {
    const out: ChainRef[] = [];
    for (const chain of model.chains) {
      if (chain.order.length === 0) continue;
      if (!chain.order.every((s) => model.systems.has(s))) continue;
      // a chain that names a system twice forwards in a circle: forwarding-loop's finding
      if (new Set(chain.order).size !== chain.order.length) continue;
      const domains = new Map<string, DomainName>();
      for (const d of chain.domains) if (d.domain.ascii && !domains.has(d.domain.ascii)) domains.set(d.domain.ascii, d.domain);
      out.push({ chain, index: chain.path[1] as number, domains });
    }
    return out;
  });
}

/** A-labels of the domains named by any chain, valid or not. */
export function chainDomains(ctx: RuleContext): ReadonlySet<string> {
  return ctx.memo('routing-facts:chainDomains', (model) => {
    const out = new Set<string>();
    for (const c of model.chains) for (const d of c.domains) if (d.domain.ascii) out.add(d.domain.ascii);
    return out;
  });
}

/**
 * The position of `system` in the first valid chain that shares `domain` and contains it;
 * the first chain in file order, as the routing tables choose (src/routing/compile.ts).
 */
export function chainPosition(ctx: RuleContext, system: string, domain: string): ChainPosition | undefined {
  for (const ref of validChains(ctx)) {
    if (!ref.domains.has(domain)) continue;
    const position = ref.chain.order.indexOf(system);
    if (position < 0) continue;
    const next = ref.chain.order[position + 1];
    return { ref, position, last: next === undefined, ...(next !== undefined ? { next } : {}) };
  }
  return undefined;
}

/** Whether the file declares the domain `remote: true` (hosted outside the organisation). */
export function isRemote(model: Model, domain: string): boolean {
  return model.domains.get(domain)?.remote ?? false;
}

/** Where internet mail for a domain arrives (MX): the routing stage's entry points (src/routing/entry.ts). */
export function entryGateways(ctx: RuleContext, domain: string): readonly RoutingTable[] {
  return routing(ctx).entries.mx(domain);
}

/** The compiled routing table of a system. */
export function tableOf(ctx: RuleContext, system: string): RoutingTable | undefined {
  return routing(ctx).tables.get(system);
}

/**
 * The connector a system uses for mail to `domain` that it accepts without authority or
 * passes on (resolve() step 4d: a specific address space before "*"), with its YAML object.
 */
export function connectorFor(ctx: RuleContext, system: string, domain: string): { entry: ConnectorEntry; decl: ConnectorDecl } | undefined {
  const table = tableOf(ctx, system);
  if (!table) return undefined;
  const entry = selectConnector(table, domain, false);
  if (!entry) return undefined;
  const decl = connectorDecl(ctx, system, entry.name);
  return decl ? { entry, decl } : undefined;
}

/** The connector object of a table entry: same name, the system among its bridgeheads. */
export function connectorDecl(ctx: RuleContext, system: string, name: string): ConnectorDecl | undefined {
  const index = ctx.memo('routing-facts:connectorDecls', (model) => {
    const out = new Map<string, ConnectorDecl>();
    for (const c of model.connectors) {
      for (const s of c.systems) {
        const key = `${s}\u0000${c.name}`;
        if (!out.has(key)) out.set(key, c);
      }
    }
    return out;
  });
  return index.get(`${system}\u0000${name}`);
}

/** The path of a connector's next hop: its `to`, else its first smart host. */
export function nextHopPath(c: ConnectorDecl): Path {
  if (c.to !== undefined) return [...c.path, 'to'];
  return c.smartHosts[0]?.path ?? c.path;
}

/** The address space entry of a connector that names `domain` explicitly (not "*"). */
export function addressSpacePath(c: ConnectorDecl, domain: string): Path | undefined {
  return c.addressSpaces.find((a) => a.domain !== '*' && a.domain.ascii === domain)?.path;
}

/** Where a next hop goes, for messages: the system's name or the first host as written. */
export function hopName(entry: ConnectorEntry): string {
  return entry.nextHop.system ?? entry.nextHop.hosts[0]?.display ?? '';
}

/** A policy address as YAML, with `authoritative` set: the fix for the authority box. */
export function addressWith(address: PolicyAddressDecl, authoritative: boolean): Record<string, unknown> {
  return {
    space: `@${address.domain.display}`,
    ...(address.primary ? { primary: true } : {}),
    authoritative,
  };
}

/** `"a", "b" and "c"`. */
export function andList(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} and ${values[values.length - 1] ?? ''}`;
}

/**
 * The primary SMTP space of a policy: the address marked `primary: true`, else the first
 * (Exchange makes the first SMTP address of a policy its primary).
 */
export function primaryAddress(policy: PolicyDecl): PolicyAddressDecl | undefined {
  return policy.addresses.find((a) => a.primary) ?? policy.addresses[0];
}

/** Whether the address is the primary space of a default policy (default-policy-* report it). */
export function isDefaultPrimary(policy: PolicyDecl, address: PolicyAddressDecl): boolean {
  return policy.default && primaryAddress(policy) === address;
}

/**
 * The seed's step 1 a-g as a fix: a private space (it need not exist in DNS, e.g.
 * `@example.local`) becomes the authoritative primary of the default policy, and the
 * shared or remote space leaves it (it gets a policy of its own, step 2).
 */
export function privateSpaceFix(ctx: RuleContext, policy: PolicyDecl, moved: PolicyAddressDecl): Fix {
  const shared = chainDomains(ctx);
  const usable = (a: PolicyAddressDecl): boolean =>
    a !== moved && a.domain.ascii !== '' && a.domain.ascii !== moved.domain.ascii && !shared.has(a.domain.ascii) && !isRemote(ctx.model, a.domain.ascii);
  // an authoritative space the policy already has is better than a new one
  const existing = policy.addresses.find((a) => usable(a) && a.authoritative) ?? policy.addresses.find(usable);
  const space = existing ? existing.domain.display : privateName(moved.domain.display);
  const addresses: Record<string, unknown>[] = [{ space: `@${space}`, primary: true, authoritative: true }];
  for (const a of policy.addresses) {
    if (a === existing || !usable(a)) continue;
    addresses.push({ space: `@${a.domain.display}`, authoritative: a.authoritative });
  }
  const declare = existing ? '' : ` (declare ${q(space)} under domains:)`;
  return {
    description:
      `make "@${space}" the authoritative primary space of default policy ${q(policy.name)}${declare} ` +
      `and move "@${moved.domain.display}" to a policy of its own (KB 321721 step 1 a-g, step 2)`,
    yaml: yamlSnippet({ addresses }),
  };
}

/** example.com -> example.local; a single label gets ".local" appended. */
function privateName(domain: string): string {
  const labels = domain.replace(/\.$/, '').split('.');
  return labels.length > 1 ? `${labels.slice(0, -1).join('.')}.local` : `${domain}.local`;
}
