import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadModel, type LoadedModel } from '../../src/pipeline.js';

/**
 * Small random organisations as chainmail files: 2-5 systems of random kinds, random
 * policies with random authority, connectors to random systems or smart hosts (outside,
 * or a system's own host), chains (half of them built the way the seed says), contacts,
 * and forwardUnresolvedTo sometimes pointing back. Every generated file fits the schema,
 * so the properties test routing, not validation.
 */

export const DOMAINS = ['a.example', 'b.example', 'r.example'] as const;
/** Shared (chainable) domains; r.example is remote. */
const SHARED = ['a.example', 'b.example'] as const;
const KINDS = ['exchange', 'postfix', 'relay', 'other'] as const;
export const USERS = ['u1@a.example', 'u2@a.example', 'u1@b.example', 'u2@b.example', 'u1@r.example'] as const;
export const SECONDARIES = ['c1@a.example', 'c2@a.example', 'c1@b.example', 'u2@a.example', 'c1@r.example'] as const;
export const TARGETS = ['t1@r.example', 't2@r.example', 'c1@a.example', 'c2@a.example', 'c1@b.example', 'u1@a.example', 't@outside.example'] as const;
/** A smart host that is no system of the file. */
const OUTSIDE = '[192.0.2.99]';

const systemName = (i: number): string => `s${i}`;
const hostOf = (i: number): string => `[10.0.0.${i + 1}]`;

export interface OrgSpec {
  readonly n: number;
  readonly systems: readonly {
    kind: (typeof KINDS)[number];
    gateway: boolean;
    hopLimit: number | null;
    forward: number | 'outside' | null;
    lists: boolean;
    mailboxes: string[];
    aliases: string[];
  }[];
  /** Per system, per domain: absent, non-authoritative or authoritative. */
  readonly policies: readonly (readonly ('none' | 'relay' | 'auth')[])[];
  readonly connectors: readonly { system: number; spaces: string[]; target: { to: number } | { smart: number | 'outside' }; allowRelay: boolean }[];
  readonly chains: readonly { domain: string; order: number[]; reject: boolean | null; wellFormed: boolean }[];
  readonly contacts: readonly { system: number; target: string; proxies: string[] }[];
  /** Only the chain's systems accept a chained domain (a cleaner organisation, so that properties about chains have cases). */
  readonly tame: boolean;
}

/** Options of {@link orgSpec}. */
export interface OrgOptions {
  /** Every chain built the seed's way, at least one chain, and only its systems accept its domain. */
  readonly tame?: boolean;
}

export function orgSpec(options: OrgOptions = {}): fc.Arbitrary<OrgSpec> {
  const tame = options.tame ?? false;
  return fc.integer({ min: 2, max: 5 }).chain((n) => {
    const index = fc.integer({ min: 0, max: n - 1 });
    const system = fc.record({
      kind: fc.constantFrom(...KINDS),
      gateway: fc.boolean(),
      hopLimit: fc.option(fc.integer({ min: 1, max: 6 }), { freq: 2 }),
      forward: fc.option(fc.oneof(index, fc.constant('outside' as const)), { freq: 4 }),
      lists: fc.boolean(),
      mailboxes: fc.subarray([...USERS]),
      aliases: fc.subarray(['al1@a.example', 'al1@b.example']),
    });
    return fc.record({
      n: fc.constant(n),
      systems: fc.array(system, { minLength: n, maxLength: n }),
      policies: fc.array(fc.array(fc.constantFrom('none' as const, 'relay' as const, 'auth' as const), { minLength: DOMAINS.length, maxLength: DOMAINS.length }), { minLength: n, maxLength: n }),
      connectors: fc.array(
        fc.record({
          system: index,
          spaces: fc.subarray([...DOMAINS, '*'], { minLength: 1 }),
          target: fc.oneof(fc.record({ to: index }), fc.record({ smart: fc.oneof(index, fc.constant('outside' as const)) })),
          allowRelay: fc.boolean(),
        }),
        { maxLength: 5 },
      ),
      chains: fc.array(
        fc.record({
          domain: fc.constantFrom(...SHARED),
          order: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: 2 }),
          reject: fc.option(fc.boolean()),
          wellFormed: tame ? fc.constant(true) : fc.boolean(),
        }),
        { minLength: tame ? 1 : 0, maxLength: 2 },
      ),
      contacts: fc.array(fc.record({ system: index, target: fc.constantFrom(...TARGETS), proxies: fc.subarray([...SECONDARIES], { minLength: 1 }) }), { maxLength: 3 }),
      tame: fc.constant(tame),
    });
  });
}

/** The chainmail file of a spec (a plain object for yaml.stringify). */
export function orgConfig(spec: OrgSpec): Record<string, unknown> {
  const systems: Record<string, unknown> = {};
  const auth = spec.policies.map((p) => [...p]);
  const connectors: Record<string, unknown>[] = [];
  const gateway = spec.systems.map((s) => s.gateway);
  const forward = spec.systems.map((s) => s.forward);
  const chains: Record<string, unknown>[] = [];
  const chained = new Set(spec.chains.map((c) => c.domain));
  if (spec.tame) {
    // the chain's systems alone accept its domain; any other domain has one authoritative system
    DOMAINS.forEach((domain, d) => {
      let owner = false;
      auth.forEach((row, s) => {
        if (chained.has(domain)) {
          if (!spec.chains.some((c) => c.domain === domain && c.order.includes(s))) row[d] = 'none';
        } else if (row[d] !== 'none') {
          row[d] = owner ? 'none' : 'auth';
          owner = true;
        }
      });
    });
  }
  spec.chains.forEach((c, k) => {
    const d = DOMAINS.indexOf(c.domain as (typeof DOMAINS)[number]);
    if (c.wellFormed) {
      // the seed's recipe: first is the gateway, each forwards to the next, the last bounces
      c.order.forEach((s, i) => {
        const row = auth[s];
        if (row) row[d] = i === c.order.length - 1 ? 'auth' : 'relay';
        forward[s] = null;
        const next = c.order[i + 1];
        if (next !== undefined) connectors.push({ name: `chain${k}-${i}`, system: systemName(s), addressSpaces: [c.domain], to: systemName(next), allowRelay: true });
      });
      gateway[c.order[0] ?? 0] = true;
    }
    chains.push({ name: `chain${k}`, domains: [c.domain], order: c.order.map(systemName), ...(c.reject !== null ? { rejectUnknownAtGateway: c.reject } : {}) });
  });
  spec.connectors.forEach((c, k) => {
    // tame: the chains' own connectors carry the chained domains, the others relay the rest
    const spaces = spec.tame ? c.spaces.filter((x) => !chained.has(x)) : c.spaces;
    if (spaces.length === 0) return;
    const target = 'to' in c.target ? { to: systemName(c.target.to) } : { smartHosts: [c.target.smart === 'outside' ? OUTSIDE : hostOf(c.target.smart)] };
    connectors.push({ name: `c${k}`, system: systemName(c.system), addressSpaces: spaces, ...target, allowRelay: c.allowRelay || spec.tame });
  });
  spec.systems.forEach((s, i) => {
    const f = forward[i];
    systems[systemName(i)] = {
      kind: s.kind,
      host: hostOf(i),
      ...(gateway[i] ? { gateway: true } : {}),
      ...(s.hopLimit !== null ? { hopLimit: s.hopLimit } : {}),
      ...(f !== null && f !== undefined ? { forwardUnresolvedTo: f === 'outside' ? '[192.0.2.98]' : systemName(f) } : {}),
      ...(s.lists
        ? { mailboxes: s.mailboxes.map((m, j) => (j === 0 && s.aliases.length > 0 ? { address: m, aliases: s.aliases } : m)) }
        : {}),
    };
  });
  const policies: Record<string, unknown>[] = [];
  auth.forEach((row, i) => {
    const addresses = row.flatMap((a, d) => (a === 'none' ? [] : [{ space: `@${DOMAINS[d]}`, authoritative: a === 'auth' }]));
    if (addresses.length > 0) policies.push({ name: `p${i}`, system: systemName(i), addresses });
  });
  const contacts = spec.contacts.map((c, k) => ({
    cn: `contact ${k}`,
    system: systemName(c.system),
    mailNickname: `contact${k}`,
    targetAddress: c.target,
    proxyAddresses: c.proxies.map((p) => `smtp:${p}`),
  }));
  return {
    version: 1,
    domains: { 'a.example': {}, 'b.example': {}, 'r.example': { remote: true }, 'outside.example': { remote: true } },
    systems,
    ...(policies.length > 0 ? { policies } : {}),
    ...(connectors.length > 0 ? { connectors } : {}),
    ...(chains.length > 0 ? { chains } : {}),
    ...(contacts.length > 0 ? { contacts } : {}),
  };
}

/** Writes generated files to one temporary directory and loads them through loadModel. */
export class OrgFiles {
  readonly #dir = mkdtempSync(join(tmpdir(), 'chainmail-property-'));
  #n = 0;

  load(config: Record<string, unknown>): LoadedModel & { text: string } {
    const dir = join(this.#dir, String(this.#n++));
    mkdirSync(dir);
    const text = stringify(config);
    writeFileSync(join(dir, 'chainmail.yaml'), text);
    return { ...loadModel(join(dir, 'chainmail.yaml'), { cwd: dir }), text };
  }

  remove(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
