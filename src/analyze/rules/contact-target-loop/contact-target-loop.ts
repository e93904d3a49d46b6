import { q } from '../../../diagnostics/diagnostic.js';
import type { ContactDecl } from '../../../model/model.js';
import { recipientKey } from '../../../routing/resolve.js';
import { REWRITE_LIMIT } from '../../../routing/walk.js';
import { formatCount } from '../../indexes.js';
import { routeWalk, type WalkEdge } from '../../route-walk.js';
import { defineRule } from '../../rule.js';

type Rewrite = Extract<WalkEdge, { kind: 'rewrite' }>;

/**
 * KB 321721 method 2: a contact's targetAddress is where mail to it really goes, "its
 * domain part selects the destination system" - outside the organisation. A target that
 * routes back into the organisation to an object that leads to the same contact (another
 * contact's secondary address, through any number of connectors) rewrites for ever: the
 * categorizer or virtual_alias_maps (Postfix virtual_alias_recursion_limit) gives up with
 * 5.4.6. Exhaustive and memoised (route-walk.ts): 100,000 contacts in one chain of
 * rewrites are one linear walk. Chains longer than the simulator follows are loops too.
 */
export const contactTargetLoop = defineRule({
  id: 'contact-target-loop',
  defaultSeverity: 'error',
  description: 'the targetAddress routes back into the organisation to an object that leads to the same contact',
  check(ctx) {
    const { model } = ctx;
    const walk = routeWalk(ctx);
    // the contacts by system and name, made only when some cycle has a rewrite (20,000
    // contacts without a loop need no map of them)
    let byId: Map<string, { contact: ContactDecl; index: number }> | undefined;
    const contactOrder = (): Map<string, { contact: ContactDecl; index: number }> => {
      if (byId) return byId;
      const made = new Map<string, { contact: ContactDecl; index: number }>();
      model.contacts.forEach((c, index) => {
        const id = `${c.system ?? ''}\u0000${c.cn}`;
        if (c.system !== undefined && !made.has(id)) made.set(id, { contact: c, index });
      });
      return (byId = made);
    };
    const reported = new Set<string>();
    for (const cycle of walk.cycles()) {
      const members: { id: string; edge: Rewrite; system: string }[] = [];
      cycle.edges.forEach((e, i) => {
        if (e.kind === 'rewrite') members.push({ id: `${cycle.states[i]?.system ?? ''}\u0000${e.decision.reason.contact ?? ''}`, edge: e, system: cycle.states[i]?.system ?? '' });
      });
      if (members.length === 0) continue;
      const key = members.map((m) => m.id).sort().join('\u0001');
      if (reported.has(key)) continue;
      reported.add(key);
      const order = contactOrder();
      // start at the contact that comes first in the file, so the output is stable
      let start = 0;
      members.forEach((m, i) => {
        if ((order.get(m.id)?.index ?? Infinity) < (order.get(members[start]?.id ?? '')?.index ?? Infinity)) start = i;
      });
      const ring = [...members.slice(start), ...members.slice(0, start)];
      const first = order.get(ring[0]?.id ?? '')?.contact;
      if (!first) continue;
      const names = ring.map((m) => order.get(m.id)?.contact.cn ?? m.edge.decision.reason.contact ?? '');
      const systems = [...new Set(cycle.states.map((s) => s.system))].sort();
      const shown = names.length > 10 ? [...names.slice(0, 5).map(q), `... (${formatCount(names.length)} contacts)`, ...names.slice(-4).map(q)] : names.map(q);
      const text = [...shown, q(first.cn)].join(' -> ');
      ctx.report({
        message: `targetAddress ${q(first.targetAddress.display)} of contact ${q(first.cn)} leads back to the contact: ${text}${systems.length > 1 ? ` (through systems ${systems.map(q).join(', ')})` : ''}`,
        at: { path: [...first.path, 'targetAddress'] },
        related: ring.slice(1, 11).flatMap((m) => {
          const c = order.get(m.id)?.contact;
          return c ? [{ message: `contact ${q(c.cn)} rewrites to ${q(c.targetAddress.display)}`, at: { path: [...c.path, 'targetAddress'] } }] : [];
        }),
        data: { contact: first.cn, cycle: text, contacts: String(names.length), systems: systems.join(', '), problem: 'cycle' },
      });
    }
    overlongChains(ctx.model.contacts, walk, (c, rewrites) => {
      ctx.report({
        message: `targetAddress ${q(c.targetAddress.display)} of contact ${q(c.cn)} starts a chain of ${formatCount(rewrites)} contact rewrites on system ${q(c.system ?? '')}: more than ${REWRITE_LIMIT} are stopped as a loop (5.4.6)`,
        at: { path: [...c.path, 'targetAddress'] },
        data: { contact: c.cn, rewrites: String(rewrites), limit: String(REWRITE_LIMIT), problem: 'too-long' },
      });
    });
  },
});

/**
 * Contacts that start a chain of rewrites longer than the simulator follows (REWRITE_LIMIT):
 * only the head of each chain, the contact whose secondary addresses no other contact of
 * its system targets.
 */
function overlongChains(contacts: readonly ContactDecl[], walk: ReturnType<typeof routeWalk>, report: (c: ContactDecl, rewrites: number) => void): void {
  // the targets by system: no string made per contact and per proxy address to look up
  const targets = new Map<string, Set<string>>();
  for (const c of contacts) {
    if (!c.targetAddress.key) continue;
    const system = c.system ?? '';
    let keys = targets.get(system);
    if (!keys) targets.set(system, (keys = new Set()));
    keys.add(c.targetAddress.key);
  }
  for (const c of contacts) {
    if (c.system === undefined || !c.targetAddress.key) continue;
    let longest = 0;
    let head = true;
    const targeted = targets.get(c.system);
    for (const p of c.proxyAddresses) {
      const r = p.address.key && p.address.key !== c.targetAddress.key ? recipientKey(p.address.key) : undefined;
      if (!r) continue;
      if (targeted?.has(r.key)) head = false;
      for (const local of [false, true]) {
        const s = walk.state(c.system, r, local);
        const info = s ? walk.info(s) : undefined;
        if (info && !info.cycle && info.maxRun > longest) longest = info.maxRun;
      }
    }
    if (head && longest > REWRITE_LIMIT) report(c, longest);
  }
}
