import { q } from '../../../diagnostics/diagnostic.js';
import type { Model } from '../../../model/model.js';
import { yamlSnippet } from '../../indexes.js';
import { routeWalk, type WalkCycle, type WalkEdge } from '../../route-walk.js';
import { domainText, forwardSource, routeText, type ForwardSource } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

type Forward = Extract<WalkEdge, { kind: 'forward' | 'self' }>;

/**
 * KB 321721 step 3 and "no way back": no system may send unresolved recipients back
 * towards a system they passed, or "messages loop between the servers" until a hop limit
 * stops them. Exhaustive: every domain from every entry point (route-walk.ts); a repeated
 * state proves the loop. Loops through a contact's rewrite are contact-target-loop's.
 */
export const forwardingLoop = defineRule({
  id: 'forwarding-loop',
  defaultSeverity: 'error',
  description: 'unresolved mail for a domain can come back to a system it passed (print the cycle)',
  check(ctx) {
    const { model } = ctx;
    const found = new Map<string, { cycle: string; source: ForwardSource; from: string; to: string; domains: string[]; others: { source: ForwardSource; from: string; to: string }[] }>();
    for (const cycle of routeWalk(ctx).cycles()) {
      if (cycle.edges.some((e) => e.kind === 'rewrite')) continue;
      const start = canonicalStart(model, cycle);
      const n = cycle.states.length;
      const systems = [...cycle.states.slice(start), ...cycle.states.slice(0, start)].map((s) => s.system);
      const text = routeText([...systems, systems[0] ?? '']);
      const closing = (start + n - 1) % n;
      const from = cycle.states[closing]?.system ?? '';
      const source = forwardSource(model, from, (cycle.edges[closing] as Forward).decision);
      const key = `${source.text}\u0000${text}`;
      const domain = cycle.states[0]?.recipient.domain ?? '';
      const seen = found.get(key);
      if (seen) {
        if (!seen.domains.includes(domain)) seen.domains.push(domain);
        continue;
      }
      const others = [];
      for (let i = 1; i < n && others.length < 10; i++) {
        const j = (closing + i) % n;
        const f = cycle.states[j]?.system ?? '';
        others.push({ source: forwardSource(model, f, (cycle.edges[j] as Forward).decision), from: f, to: cycle.states[(j + 1) % n]?.system ?? '' });
      }
      found.set(key, { cycle: text, source, from, to: systems[0] ?? '', domains: [domain], others });
    }
    for (const f of found.values()) {
      const domains = f.domains.sort().map((d) => domainText(model, d));
      const back = f.from === f.to ? `sends them to ${q(f.to)} itself` : `sends them back to ${q(f.to)}`;
      const of = domains.length > 3 ? `${domains.slice(0, 3).join(', ')} and ${domains.length - 3} more domains` : domains.join(', ');
      ctx.report({
        message: `unresolved recipients of ${of} loop: ${f.cycle} (${f.source.text} ${back})`,
        at: f.source.at,
        related: f.others.map((o) => ({ message: `${o.source.text} sends them to ${q(o.to)}`, at: o.source.at })),
        ...(f.source.via === 'forwardUnresolvedTo'
          ? {
              fix: {
                description: `clear forwardUnresolvedTo of system ${q(f.from)}: the last system of a chain bounces unknown recipients (KB 321721 step 3)`,
                yaml: yamlSnippet({ forwardUnresolvedTo: null }),
              },
            }
          : {}),
        data: {
          cycle: f.cycle,
          domains: f.domains.join(', '),
          system: f.from,
          target: f.to,
          via: f.source.via,
          ...(f.source.connector !== undefined ? { connector: f.source.connector } : {}),
        },
      });
    }
  },
});

/**
 * Where the printed cycle starts, so that the output is stable (actionlint prints cycles
 * from a canonical start): a gateway (mail enters there), else the system earliest in a
 * chain of the domain, else the alphabetically smallest. The edge into the start is the
 * one that "comes back", and the finding points at it.
 */
function canonicalStart(model: Model, cycle: WalkCycle): number {
  const domain = cycle.states[0]?.recipient.domain ?? '';
  const rank = (system: string): [number, number, string] => {
    let pos = Infinity;
    for (const c of model.chains) {
      if (!c.domains.some((d) => d.domain.ascii === domain)) continue;
      const i = c.order.indexOf(system);
      if (i >= 0 && i < pos) pos = i;
    }
    return [model.systems.get(system)?.gateway ? 0 : 1, pos, system];
  };
  let best = 0;
  let bestRank = rank(cycle.states[0]?.system ?? '');
  cycle.states.forEach((s, i) => {
    const r = rank(s.system);
    if (r[0] < bestRank[0] || (r[0] === bestRank[0] && (r[1] < bestRank[1] || (r[1] === bestRank[1] && r[2] < bestRank[2])))) {
      best = i;
      bestRank = r;
    }
  });
  return best;
}
