import type { Model, SystemDecl } from '../model/model.js';
import type { CloudRouting, RecipientEntry } from './table.js';

/**
 * What the cloud kinds add to a routing table (docs/exchange-online.md,
 * docs/google-workspace.md). Kept beside compile.ts, which calls it.
 */

/** Whether a system of this kind can reject unknown recipients of the other systems of a chain at RCPT (Postfix relay_recipient_maps can; the clouds know only their own directory). */
export function validatesChain(s: SystemDecl): boolean {
  return s.kind !== 'exchange-online' && s.kind !== 'google-workspace';
}

/**
 * The recipients a cloud system resolves beyond its mailboxes: Exchange Online's mail users
 * and mail contacts (a rewrite to the ExternalEmailAddress, like a contact of method 2).
 * Google Workspace with split delivery of every recipient (which: all) delivers none itself.
 */
export function cloudRecipients(s: SystemDecl, out: Map<string, RecipientEntry>): void {
  if (s.googleWorkspace?.splitDelivery?.which === 'all') {
    out.clear();
    return;
  }
  for (const u of s.exchangeOnline?.mailUsers ?? []) {
    if (!u.address.key || !u.external.key || out.has(u.address.key) || u.address.key === u.external.key) continue;
    out.set(u.address.key, { action: 'rewrite', to: u.external.display, contact: u.name });
  }
}

/** The `cloud` part of a system's table, or undefined for the other kinds. */
export function cloudRouting(model: Model, s: SystemDecl, domains: Readonly<Record<string, { authority: string }>>): CloudRouting | undefined {
  const exo = s.exchangeOnline;
  if (exo) {
    const relayFrom = [...new Set(exo.inbound.flatMap((c) => c.from))].sort();
    const routeOut = exo.mailUsers.filter((u) => u.address.key && u.address.key === u.external.key).map((u) => u.address.key).sort();
    const mx: Record<string, string> = {};
    for (const [d, dom] of Object.entries(domains)) {
      if (dom.authority === 'authoritative') continue;
      const gw = mxSystem(model, d);
      if (gw) mx[d] = gw;
    }
    return {
      ...(relayFrom.length > 0 ? { relayFrom } : {}),
      ...(routeOut.length > 0 ? { routeOut: [...new Set(routeOut)] } : {}),
      ...(Object.keys(mx).length > 0 ? { mx } : {}),
    };
  }
  const g = s.googleWorkspace;
  if (g) {
    const unrecognised: Record<string, 'suspended' | 'no-gmail'> = {};
    for (const e of g.withoutGmail) if (e.address.key) unrecognised[e.address.key] = 'no-gmail';
    for (const e of g.suspended) if (e.address.key) unrecognised[e.address.key] = 'suspended';
    const sorted = Object.fromEntries(Object.entries(unrecognised).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      ...(Object.keys(sorted).length > 0 ? { unrecognised: sorted } : {}),
      ...(g.splitDelivery?.which === 'all' ? { splitAll: true } : {}),
      ...(g.dualDelivery ? { dualDelivery: g.dualDelivery.to } : {}),
    };
  }
  return undefined;
}

/** The system a domain's MX reaches: the first gateway (by name) with a policy that accepts it. */
function mxSystem(model: Model, domain: string): string | undefined {
  const gateways = [...model.systems.values()].filter((s) => s.gateway).map((s) => s.name).sort();
  return gateways.find((g) => model.policies.some((p) => p.system === g && p.addresses.some((a) => a.domain.ascii === domain)));
}
