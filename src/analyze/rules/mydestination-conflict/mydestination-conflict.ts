import { domainToASCII } from 'node:url';
import { q } from '../../../diagnostics/diagnostic.js';
import type { Model } from '../../../model/model.js';
import { defineRule } from '../../rule.js';

/**
 * A Postfix domain belongs to exactly one address class, and mydestination (the local class)
 * wins over relay_domains (ADDRESS_CLASS_README): a domain of the organisation listed there is
 * delivered to UNIX accounts on this host, its other recipients are refused as "User unknown
 * in local recipient table" and never go along the chain. Checked where the file declares a
 * system's `mydestination` (the Postfix main.cf that chainmail writes then sets it).
 */
export const mydestinationConflict = defineRule({
  id: 'mydestination-conflict',
  defaultSeverity: 'error',
  description: "a domain of the organisation in a Postfix system's `mydestination`",
  check(ctx) {
    const { model } = ctx;
    let roles: Map<string, string> | undefined;
    for (const system of model.systems.values()) {
      if (!system.mydestination?.length) continue;
      const why = (roles ??= domainRoles(model));
      (system.mydestination ?? []).forEach((entry, i) => {
        if (entry.startsWith('$') || entry.includes('$')) return;
        const ascii = domainToASCII(entry).toLowerCase();
        const role = why.get(ascii);
        if (!role) return;
        ctx.report({
          message:
            `system ${q(system.name)} lists ${q(entry)} in mydestination, but ${role}: Postfix would deliver it to local UNIX accounts ` +
            `on this host and refuse its other recipients (550 5.1.1 "User unknown in local recipient table"); remove it from mydestination`,
          at: { path: [...system.path, 'mydestination', i] },
          data: { system: system.name, domain: ascii },
        });
      });
    }
  },
});

/** Each domain the file routes, by A-label, with the first reason found. */
function domainRoles(model: Model): Map<string, string> {
  const out = new Map<string, string>();
  const add = (ascii: string, role: string): void => {
    if (ascii && !out.has(ascii)) out.set(ascii, role);
  };
  for (const p of model.policies) for (const a of p.addresses) add(a.domain.ascii, `policy ${q(p.name)} of system ${q(p.system)} accepts it`);
  for (const c of model.chains) for (const d of c.domains) add(d.domain.ascii, `chain ${q(c.name)} shares it`);
  for (const c of model.connectors) for (const s of c.addressSpaces) if (s.domain !== '*') add(s.domain.ascii, `connector ${q(c.name)} routes it`);
  for (const d of model.domains.values()) add(d.name.ascii, 'it is a domain of the file');
  return out;
}
