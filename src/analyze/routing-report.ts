import type { Path, Target } from '../diagnostics/diagnostic.js';
import { q } from '../diagnostics/diagnostic.js';
import type { Model } from '../model/model.js';
import type { Decision } from '../routing/resolve.js';
import { domainLabel, formatCount } from './indexes.js';
import { OTHER_DOMAIN, type WalkState } from './route-walk.js';

/**
 * Message and location helpers of the routing rules (forwarding-loop, hop-limit,
 * contact-target-loop, ...): they turn the walk's decisions back into the YAML objects
 * that made them.
 */

/** A domain of a routing table (an A-label) for a message: `"例え.jp" (xn--r8jz45g.jp)`. */
export function domainText(model: Model, ascii: string): string {
  if (ascii === OTHER_DOMAIN) return 'any other domain';
  const decl = model.domains.get(ascii);
  return decl ? domainLabel(decl.name) : q(ascii);
}

/** `"a", "b" and 3 more`: a list for a message, cut after `max` items. */
export function listText(values: readonly string[], max = 5): string {
  const shown = values.slice(0, max).map((v) => q(v)).join(', ');
  return values.length > max ? `${shown} and ${formatCount(values.length - max)} more` : shown;
}

/** What a state's recipient stands for: `"alice@example.com"` or `an unknown recipient of "example.com"`. */
export function recipientText(model: Model, s: WalkState): string {
  return s.unknown ? `an unknown recipient of ${domainText(model, s.recipient.domain)}` : q(s.recipient.key);
}

/** The object behind a forward decision of `system`: its connector, or its forwardUnresolvedTo. */
export interface ForwardSource {
  readonly via: 'connector' | 'forwardUnresolvedTo';
  readonly connector?: string;
  readonly at: Target;
  /** `connector "To UNIX" of system "exchange"` / `forwardUnresolvedTo of system "unix"`. */
  readonly text: string;
}

export function forwardSource(model: Model, system: string, d: Extract<Decision, { kind: 'forward' }>): ForwardSource {
  const sys = model.systems.get(system);
  const name = d.reason.connector;
  if (name === undefined && sys?.kind === 'google-workspace' && sys.googleWorkspace?.splitDelivery) {
    return { via: 'forwardUnresolvedTo', at: { path: sys.googleWorkspace.splitDelivery.path }, text: `split delivery of system ${q(system)}` };
  }
  if (name === undefined && sys?.kind === 'exchange-online') {
    // no connector: Exchange Online delivered by the domain's MX (resolve.ts exchangeOnlineOut)
    return { via: 'forwardUnresolvedTo', at: { path: [...sys.path, 'acceptedDomains'] }, text: `the MX lookup of system ${q(system)} (no outbound connector)` };
  }
  if (name === undefined) {
    const path: Path = sys ? [...sys.path, 'forwardUnresolvedTo'] : ['systems', system];
    return { via: 'forwardUnresolvedTo', at: { path, key: true }, text: `forwardUnresolvedTo of system ${q(system)}` };
  }
  const c = model.connectors.find((x) => x.name === name && x.systems.includes(system));
  let path: Path = c ? c.path : ['connectors'];
  if (c?.to !== undefined) path = [...c.path, 'to'];
  else if (c) {
    const first = d.nextHop.hosts[0];
    const j = c.smartHosts.findIndex((h) => !h.error && h.host === first?.host);
    path = j >= 0 ? [...c.path, 'smartHosts', j] : [...c.path, 'smartHosts'];
  }
  return { via: 'connector', connector: name, at: { path }, text: `connector ${q(name)} of system ${q(system)}` };
}

/** `a -> b -> c`, with the middle left out of long routes: `a -> b -> ... (1,000 systems) -> y -> z`. */
export function routeText(systems: readonly string[], max = 12): string {
  if (systems.length <= max) return systems.join(' -> ');
  const head = systems.slice(0, max / 2);
  const tail = systems.slice(-max / 2);
  return `${head.join(' -> ')} -> ... (${formatCount(new Set(systems).size)} systems) -> ${tail.join(' -> ')}`;
}
