import type { DomainName, Model, SystemDecl } from '../model/model.js';
import { compileRoutingTables, systemAt } from '../routing/compile.js';
import type { NextHop } from '../routing/table.js';

/** A node of the organisation graph. */
export interface GraphNode {
  /** Sanitised id: [A-Za-z0-9_] only, unique, stable for the same input. */
  readonly id: string;
  readonly kind: 'internet' | 'system' | 'host' | 'contacts';
  /** Label lines (plain text; each renderer escapes them). */
  readonly lines: readonly string[];
  readonly gateway?: boolean;
}

/** An edge of the organisation graph. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /**
   * mx: the internet reaches a gateway; forward: connectors (and the chain order they
   * implement); chain: a chain step that no connector carries; unresolved:
   * forwardUnresolvedTo; hosted: the reverse path (recipients hosted by another system of
   * the organisation, per-recipient next hops in the tables), summarised per (system, peer);
   * contacts: contacts of a system, summarised per target domain.
   */
  readonly kind: 'mx' | 'forward' | 'chain' | 'unresolved' | 'hosted' | 'contacts';
  readonly label: string;
}

export interface Graph {
  readonly title: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** `例え.jp (xn--r8jz45g.jp)`: both forms where they differ (spec section 1). */
export function domainLabel(d: DomainName): string {
  const uni = d.unicode || d.display;
  return d.ascii && d.ascii !== uni.toLowerCase() ? `${uni} (${d.ascii})` : uni;
}

const MAX_LISTED = 4;

function listed(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join(', ');
  return items.length > MAX_LISTED ? `${shown}, +${items.length - MAX_LISTED} more` : shown;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The organisation as a graph: the internet, every system (kind, host, gateways marked,
 * the spaces it is authoritative for), connector edges labelled with the domains they
 * carry, chain steps no connector carries, forwardUnresolvedTo edges, smart hosts outside
 * the file, and contacts summarised per target domain. Pure; sorted for stable output.
 */
export function buildGraph(model: Model): Graph {
  const nodes: GraphNode[] = [];
  const ids = new Set<string>();
  const idFor = (prefix: string, name: string): string => {
    const base = `${prefix}_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
    let id = base;
    for (let n = 2; ids.has(id); n++) id = `${base}_${n}`;
    ids.add(id);
    return id;
  };
  ids.add('internet');
  nodes.push({ id: 'internet', kind: 'internet', lines: ['internet'] });

  const systems = [...model.systems.values()].sort((a, b) => cmp(a.name, b.name));
  const sysId = new Map<string, string>();
  for (const s of systems) sysId.set(s.name, idFor('sys', s.name));
  const hostId = new Map<string, string>();
  const hostNode = (raw: string): string => {
    let id = hostId.get(raw);
    if (!id) {
      id = idFor('host', raw);
      hostId.set(raw, id);
      nodes.push({ id, kind: 'host', lines: [raw, 'outside this file'] });
    }
    return id;
  };

  for (const s of systems) {
    const auth = authoritativeSpaces(model, s);
    const lines = [s.gateway ? `${s.name} (gateway)` : s.name, `${s.kind} · ${s.host.raw}`];
    if (auth.length > 0) lines.push(`authoritative: ${listed(auth)}`);
    nodes.push({ id: sysId.get(s.name) ?? '', kind: 'system', lines, ...(s.gateway ? { gateway: true } : {}) });
  }

  // forward edges from connectors, merged per (from, to) with the union of their domains
  const forward = new Map<string, { from: string; to: string; domains: Set<string> }>();
  const addForward = (from: string, to: string, domains: readonly string[]): void => {
    const key = `${from}\u0000${to}`;
    let e = forward.get(key);
    if (!e) forward.set(key, (e = { from, to, domains: new Set() }));
    for (const d of domains) e.domains.add(d);
  };
  // Edges follow the compiled routing tables' next hops (the hop `chainmail route` takes),
  // each host of a next hop landing on the system of the file it reaches (same host and
  // port, src/routing/compile.ts systemAt), else on a node outside the file.
  const tables = compileRoutingTables(model);
  const target = (hop: NextHop): string[] =>
    hop.hosts.map((h, i) => {
      const at = i === 0 && hop.system !== undefined ? hop.system : systemAt(model, h)?.name;
      return (at !== undefined && sysId.get(at)) || hostNode(h.display);
    });
  const carried = new Set<string>(); // `${from}\u0000${to}\u0000${ascii}` for the chain check
  for (const c of [...model.connectors].sort((a, b) => cmp(a.name, b.name))) {
    const spaces = c.addressSpaces.map((a) => (a.domain === '*' ? '* (everything else)' : domainLabel(a.domain)));
    const label = c.allowRelay ? spaces : spaces.map((s) => `${s} (no relay)`);
    for (const bridge of [...c.systems].sort(cmp)) {
      const from = sysId.get(bridge);
      const entry = tables.get(bridge)?.connectors.find((x) => x.name === c.name);
      if (!from || !entry) continue;
      for (const to of target(entry.nextHop)) {
        addForward(from, to, label);
        for (const a of c.addressSpaces) if (a.domain !== '*') carried.add(`${from}\u0000${to}\u0000${a.domain.ascii}`);
      }
    }
  }

  const edges: GraphEdge[] = [];
  // the internet reaches the gateways (the MX) for the spaces they accept
  for (const s of systems.filter((x) => x.gateway)) {
    const accepted = acceptedSpaces(model, s);
    edges.push({ from: 'internet', to: sysId.get(s.name) ?? '', kind: 'mx', label: accepted.length > 0 ? `inbound: ${listed(accepted)}` : 'inbound' });
  }
  for (const e of [...forward.values()].sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to))) {
    edges.push({ from: e.from, to: e.to, kind: 'forward', label: [...e.domains].sort(cmp).join(', ') });
  }
  // chain steps that no connector carries: drawn, so the gap is visible
  for (const ch of [...model.chains].sort((a, b) => cmp(a.name, b.name))) {
    for (let i = 0; i + 1 < ch.order.length; i++) {
      const from = sysId.get(ch.order[i] ?? '');
      const to = sysId.get(ch.order[i + 1] ?? '');
      if (!from || !to) continue;
      const missing = ch.domains.filter((d) => !carried.has(`${from}\u0000${to}\u0000${d.domain.ascii}`));
      if (missing.length === 0) continue;
      edges.push({ from, to, kind: 'chain', label: `chain "${ch.name}": ${missing.map((d) => domainLabel(d.domain)).join(', ')} (no connector)` });
    }
  }
  for (const s of systems) {
    const hop = tables.get(s.name)?.unresolved;
    if (!hop) continue;
    for (const to of target(hop)) edges.push({ from: sysId.get(s.name) ?? '', to, kind: 'unresolved', label: 'unresolved' });
  }
  // the reverse path: per system, the recipients it forwards to the peer that hosts them
  for (const s of systems) {
    const table = tables.get(s.name);
    const from = sysId.get(s.name);
    if (!table?.hosted || !from) continue;
    const perPeer = new Map<string, { count: number; domains: Set<string> }>();
    for (const [key, peer] of Object.entries(table.hosted)) {
      let p = perPeer.get(peer);
      if (!p) perPeer.set(peer, (p = { count: 0, domains: new Set() }));
      p.count++;
      p.domains.add(key.slice(key.lastIndexOf('@') + 1));
    }
    for (const [peer, p] of [...perPeer].sort(([a], [b]) => cmp(a, b))) {
      const hop = table.peers?.[peer];
      if (!hop) continue;
      const label = `hosted there: ${p.count} recipient${p.count === 1 ? '' : 's'} (${listed([...p.domains].sort(cmp))})`;
      for (const to of target(hop)) edges.push({ from, to, kind: 'hosted', label });
    }
  }
  contactEdges(model, sysId, idFor, nodes, edges);
  return { title: model.name ?? model.file, nodes, edges };
}

/** One node per (system, target domain): "3 contacts -> remote.domain" with a few names. */
function contactEdges(model: Model, sysId: Map<string, string>, idFor: (p: string, n: string) => string, nodes: GraphNode[], edges: GraphEdge[]): void {
  const groups = new Map<string, { system: string; domain: string; names: string[] }>();
  for (const c of model.contacts) {
    if (!c.system || !sysId.has(c.system)) continue;
    const domain = c.targetAddress.domain.ascii ? domainLabel(c.targetAddress.domain) : c.targetAddress.domain.display || '?';
    const key = `${c.system}\u0000${domain}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { system: c.system, domain, names: [] }));
    g.names.push(c.displayName || c.cn);
  }
  for (const g of [...groups.values()].sort((a, b) => cmp(a.system, b.system) || cmp(a.domain, b.domain))) {
    const id = idFor('contacts', `${g.system}_${g.domain}`);
    const n = g.names.length;
    nodes.push({ id, kind: 'contacts', lines: [`${n} contact${n === 1 ? '' : 's'} -> ${g.domain}`, listed(g.names.sort(cmp))] });
    edges.push({ from: sysId.get(g.system) ?? '', to: id, kind: 'contacts', label: 'contacts' });
  }
}

function acceptedSpaces(model: Model, s: SystemDecl): string[] {
  const out = new Set<string>();
  for (const p of model.policies) if (p.system === s.name) for (const a of p.addresses) out.add(domainLabel(a.domain));
  return [...out].sort(cmp);
}

function authoritativeSpaces(model: Model, s: SystemDecl): string[] {
  const out = new Set<string>();
  for (const p of model.policies) if (p.system === s.name) for (const a of p.addresses) if (a.authoritative) out.add(domainLabel(a.domain));
  return [...out].sort(cmp);
}

/** Mermaid entity codes (`#quot;`): the only safe way to put these inside a quoted label. */
function mermaidText(s: string): string {
  return s.replace(/[#"<>&`]/g, (c) => ({ '#': '#35;', '"': '#quot;', '<': '#lt;', '>': '#gt;', '&': '#amp;', '`': '#96;' })[c] ?? c).replace(/[\r\n]+/g, ' ');
}

const MERMAID_SHAPE: Readonly<Record<GraphNode['kind'], [string, string]>> = {
  internet: ['((', '))'],
  system: ['[', ']'],
  host: ['(', ')'],
  contacts: ['([', '])'],
};
const MERMAID_ARROW: Readonly<Record<GraphEdge['kind'], string>> = {
  mx: '==>',
  forward: '-->',
  chain: '-.->',
  unresolved: '-.->',
  hosted: '-->',
  contacts: '-.-',
};

/** Mermaid flowchart (renders on GitHub in a ```mermaid block). */
export function renderMermaid(g: Graph): string {
  // the comment after the header: older renderers detect the diagram type on line 1
  const out = ['flowchart LR', `  %% ${mermaidText(g.title)} (generated by chainmail graph)`];
  for (const n of g.nodes) {
    const [open, close] = MERMAID_SHAPE[n.kind];
    out.push(`  ${n.id}${open}"${n.lines.map(mermaidText).join('<br/>')}"${close}`);
  }
  for (const e of g.edges) out.push(`  ${e.from} ${MERMAID_ARROW[e.kind]}|"${mermaidText(e.label)}"| ${e.to}`);
  const gateways = g.nodes.filter((n) => n.gateway).map((n) => n.id);
  const external = g.nodes.filter((n) => n.kind === 'host').map((n) => n.id);
  const linkStyles = g.edges.flatMap((e, i) => (e.kind === 'unresolved' ? [`  linkStyle ${i} stroke:#d33,stroke-width:2px`] : []));
  out.push(...linkStyles);
  if (gateways.length > 0) out.push('  classDef gateway stroke-width:3px', `  class ${gateways.join(',')} gateway`);
  if (external.length > 0) out.push('  classDef external stroke-dasharray:4 3', `  class ${external.join(',')} external`);
  return `${out.join('\n')}\n`;
}

/** A DOT quoted string (escString): backslash and quote escaped, lines as \n. */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

const DOT_NODE: Readonly<Record<GraphNode['kind'], string>> = {
  internet: 'shape=ellipse, style=filled, fillcolor="#eeeeee"',
  system: 'shape=box, style=rounded',
  host: 'shape=box, style=dashed',
  contacts: 'shape=note',
};
const DOT_EDGE: Readonly<Record<GraphEdge['kind'], string>> = {
  mx: 'penwidth=2',
  forward: '',
  chain: 'style=dashed',
  unresolved: 'style=dashed, color="#dd3333", fontcolor="#dd3333"',
  hosted: 'color="#3366cc", fontcolor="#3366cc"',
  contacts: 'style=dotted, arrowhead=none',
};

/** Graphviz DOT (`dot -Tsvg`). */
export function renderDot(g: Graph): string {
  const out = [`// ${g.title.replace(/[\r\n]+/g, ' ')} (generated by chainmail graph)`, 'digraph chainmail {', '  graph [rankdir=LR, fontname="Helvetica"];', '  node [fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const n of g.nodes) {
    const extra = n.gateway ? ', penwidth=3' : '';
    out.push(`  ${n.id} [label=${dotString(n.lines.join('\n'))}, ${DOT_NODE[n.kind]}${extra}];`);
  }
  for (const e of g.edges) {
    const style = DOT_EDGE[e.kind];
    out.push(`  ${e.from} -> ${e.to} [label=${dotString(e.label)}${style ? `, ${style}` : ''}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
