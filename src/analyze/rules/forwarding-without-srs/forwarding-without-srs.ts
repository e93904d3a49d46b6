import type { Target } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import { tableIndex } from '../../../routing/table.js';
import { dmarcPolicy, sendersOf } from '../../dns-facts.js';
import { connectorDecl, connectorFor, tableOf } from '../../routing-facts.js';
import { routing } from '../../routing-index.js';
import { domainText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * A system that forwards mail out of the organisation keeps the original envelope sender
 * unless it rewrites it (SRS). The receiver then checks that sender's SPF against the
 * forwarder's address and gets `fail` unless the sender's domain authorises the forwarder
 * (RFC 7208 appendix D); DMARC then rests on a DKIM signature surviving the trip
 * (RFC 7489 4.2), and `quarantine` or `reject` drops the rest (postsrsd #82). Forwarders:
 * a system holding a contact whose targetAddress leaves the organisation (method 2), and a
 * system with a connector that sends an accepted domain to a host outside the file.
 * The senders chainmail knows are the file's domains with a DMARC policy: each such domain
 * that does not authorise the forwarder (it is not one of its `sends` systems) is named.
 */
export const forwardingWithoutSrs = defineRule({
  id: 'forwarding-without-srs',
  defaultSeverity: 'warning',
  description: 'a system forwards mail out of the organisation without SRS while a sender domain has DMARC quarantine or reject',
  check(ctx) {
    const { model } = ctx;
    const strict = [...model.domains.values()]
      .map((d) => ({ domain: d.name.ascii, dmarc: d.name.ascii ? dmarcPolicy(model, d.name.ascii) : undefined }))
      .filter((d): d is { domain: string; dmarc: NonNullable<typeof d.dmarc> } => d.dmarc !== undefined && d.dmarc.policy !== 'none')
      .sort((a, b) => (a.domain < b.domain ? -1 : 1));
    if (strict.length === 0) return;
    for (const [system, via] of forwarders(ctx)) {
      const s = model.systems.get(system);
      if (!s || s.srs) continue;
      const broken = strict.filter((d) => !sendersOf(ctx, d.domain).includes(s));
      const first = broken[0];
      if (!first || via.length === 0) continue;
      const policies = broken.map((d) => `${domainText(model, d.domain)} (p=${d.dmarc.policy})`).join(', ');
      ctx.report({
        message:
          `system ${q(system)} forwards mail out of the organisation (${shortList(via.map((v) => v.what))}) without rewriting the envelope sender (SRS): ` +
          `receivers fail SPF for mail from ${policies}, which ${broken.length === 1 ? 'does' : 'do'} not authorise ${q(system)}, and DMARC then rests on DKIM alone`,
        at: { path: s.path, key: true },
        related: [
          ...via.slice(0, 5).map((v) => ({ message: `forwards out: ${v.what}`, at: v.at })),
          ...broken.slice(0, 5).map((d) => ({ message: `DMARC p=${d.dmarc.policy} of ${domainText(model, d.domain)}`, at: { path: d.dmarc.path } })),
        ],
        fix: { description: `rewrite the envelope sender of forwarded mail on ${q(system)} (postsrsd for Postfix) and say so`, yaml: 'srs: true' },
        data: { system, domains: broken.map((d) => d.domain).join(', '), via: via.map((v) => v.what).join('; ') },
      });
    }
  },
});

interface Forwarding {
  readonly what: string;
  readonly at: Target;
}

/** Per system (sorted), what it forwards out of the organisation, from its routing table. */
function forwarders(ctx: Parameters<NonNullable<typeof forwardingWithoutSrs.check>>[0]): Map<string, Forwarding[]> {
  const { model } = ctx;
  const out = new Map<string, Forwarding[]>();
  const add = (system: string, f: Forwarding): void => {
    const list = out.get(system) ?? [];
    list.push(f);
    out.set(system, list);
  };
  for (const c of model.contacts) {
    const domain = c.targetAddress.domain.ascii;
    if (c.system === undefined || !domain) continue;
    const table = tableOf(ctx, c.system);
    // a target this system delivers itself is not forwarded
    if (!table || tableIndex(table).domains.get(domain)?.authority === 'authoritative') continue;
    const hop = connectorFor(ctx, c.system, domain);
    if (!hop || hop.entry.nextHop.system !== undefined) continue;
    add(c.system, { what: `contact ${q(c.cn)} to ${c.targetAddress.display}`, at: { path: [...c.path, 'targetAddress'] } });
  }
  for (const table of routing(ctx).tables.values()) {
    const accepted = tableIndex(table).domains;
    for (const entry of table.connectors) {
      if (entry.nextHop.system !== undefined) continue;
      const relayed = entry.addressSpaces.filter((d) => d !== '*' && accepted.has(d));
      const decl = connectorDecl(ctx, table.system, entry.name);
      if (relayed.length === 0 || !decl) continue;
      add(table.system, { what: `connector ${q(entry.name)} for ${relayed.join(', ')}`, at: { path: decl.path } });
    }
  }
  return new Map([...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

/** `a, b, c and 2 more`: the forwarding objects for the message (each already quotes its names). */
function shortList(values: readonly string[], max = 3): string {
  const shown = values.slice(0, max).join(', ');
  return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}
