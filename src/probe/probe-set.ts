import { createHash } from 'node:crypto';
import { domainToUnicode } from 'node:url';
import type { Path, Target } from '../diagnostics/diagnostic.js';
import type { Model } from '../model/model.js';
import type { RoutingTable } from '../routing/table.js';

/**
 * The probe set of one system, from the model: which recipients to try at RCPT and which
 * YAML object each one stands for (the location a difference is reported at).
 */

/** What a probe stands for (docs/probe.md "The probe set"). */
export type ProbeClass =
  | 'mailbox'
  | 'alias'
  | 'contact'
  /** A recipient hosted on another system of the organisation, in a domain this one accepts. */
  | 'other-system'
  | 'case-variant'
  | 'u-label'
  /** A generated recipient that nothing knows, one per accepted domain. */
  | 'unknown'
  | 'subdomain'
  /** A domain of the file this system does not accept. */
  | 'other-domain'
  /** A domain outside the organisation: the relay test. */
  | 'foreign';

export interface Probe {
  readonly address: string;
  readonly class: ProbeClass;
  /** The object of the file the probe stands for. */
  readonly at: Target;
  /** A non-ASCII address: needs SMTPUTF8 (RFC 6531). */
  readonly utf8: boolean;
}

/** Probes per class and domain with `--recipients sample`. */
export const SAMPLE_SIZE = 3;
/** The foreign domain of the relay test: `.invalid` can never be delivered to (RFC 2606 section 2). */
export const FOREIGN_DOMAIN = 'chainmail-probe.invalid';

/** The probes of `system`, deterministic: the same file gives the same probes in the same order. */
export function probeSet(model: Model, table: RoutingTable, recipients: 'all' | 'sample'): Probe[] {
  const system = model.systems.get(table.system);
  const systemPath: Path = system?.path ?? ['systems', table.system];
  const where = addressLocations(model);
  const domainAt = (d: string): Target => ({ path: policyAddressPath(model, table.system, d) ?? model.domains.get(d)?.path ?? systemPath });
  const groups = new Map<string, Probe[]>();
  const add = (p: Omit<Probe, 'utf8'>): void => {
    const domain = p.address.slice(p.address.lastIndexOf('@') + 1);
    const k = `${p.class} ${domain}`;
    const list = groups.get(k) ?? [];
    list.push({ ...p, utf8: /[^\x20-\x7e]/.test(p.address) });
    groups.set(k, list);
  };
  const accepted = Object.keys(table.domains).sort();
  const own = Object.keys(table.recipients).sort();
  for (const key of own) {
    const e = table.recipients[key];
    if (!e) continue;
    const cls: ProbeClass = e.action === 'rewrite' ? 'contact' : e.alias ? 'alias' : 'mailbox';
    add({ address: key, class: cls, at: where.get(key) ?? { path: systemPath } });
  }
  const ownSet = new Set(own);
  for (const [key, at] of [...where].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const domain = key.slice(key.lastIndexOf('@') + 1);
    if (!ownSet.has(key) && table.domains[domain]) add({ address: key, class: 'other-system', at });
  }
  // one variant of one known recipient per domain (its own first, else another system's):
  // upper case, and the U-label form of an IDN
  const knownKeys = [...own, ...[...where.keys()].filter((k) => !ownSet.has(k)).sort()];
  for (const d of accepted) {
    const first = knownKeys.find((k) => k.endsWith(`@${d}`));
    if (!first) continue;
    const at = where.get(first) ?? { path: systemPath };
    add({ address: first.toUpperCase(), class: 'case-variant', at });
    const u = domainToUnicode(d);
    if (u !== d && u !== '') add({ address: `${first.slice(0, first.lastIndexOf('@'))}@${u}`, class: 'u-label', at });
  }
  for (const d of accepted) {
    add({ address: `${unknownLocal(d)}@${d}`, class: 'unknown', at: domainAt(d) });
    if (!table.domains[`chainmail-probe.${d}`]) add({ address: `postmaster@chainmail-probe.${d}`, class: 'subdomain', at: domainAt(d) });
  }
  for (const [d, decl] of [...model.domains].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!table.domains[d]) add({ address: `${unknownLocal(d)}@${d}`, class: 'other-domain', at: { path: decl.path } });
  }
  add({ address: `${unknownLocal(FOREIGN_DOMAIN)}@${FOREIGN_DOMAIN}`, class: 'foreign', at: { path: systemPath, key: true } });
  const out: Probe[] = [];
  for (const list of groups.values()) out.push(...(recipients === 'all' ? list : sample(list)));
  return out;
}

/** A local part that no one has: stable per domain, so that runs compare. */
function unknownLocal(domain: string): string {
  return `chainmail-probe-${createHash('sha256').update(domain).digest('hex').slice(0, 10)}`;
}

/** A deterministic sample spread over the list (by hash, not the first few in sorted order). */
function sample(list: readonly Probe[]): Probe[] {
  if (list.length <= SAMPLE_SIZE) return [...list];
  const h = (p: Probe): string => createHash('sha256').update(p.address).digest('hex');
  return [...list].sort((a, b) => (h(a) < h(b) ? -1 : 1)).slice(0, SAMPLE_SIZE);
}

/** Where each recipient of the file is declared: mailboxes, their aliases, contact proxy addresses. */
function addressLocations(model: Model): Map<string, Target> {
  const m = new Map<string, Target>();
  for (const s of model.systems.values()) {
    for (const mb of s.mailboxes) {
      if (mb.address.key && !m.has(mb.address.key)) m.set(mb.address.key, mb.at);
      for (const a of mb.aliases) if (a.address.key && !m.has(a.address.key)) m.set(a.address.key, a.at);
    }
  }
  for (const c of model.contacts) {
    for (const p of c.proxyAddresses) if (p.address.key && !m.has(p.address.key)) m.set(p.address.key, p.at);
  }
  return m;
}

/** The address of the policy of `system` that accepts `domain`. */
function policyAddressPath(model: Model, system: string, domain: string): Path | undefined {
  for (const p of model.policies) {
    if (p.system !== system) continue;
    const a = p.addresses.find((x) => x.domain.ascii === domain);
    if (a) return a.path;
  }
  return undefined;
}
