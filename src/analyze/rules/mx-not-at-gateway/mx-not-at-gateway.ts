import type { Path } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import { gatewaysAccepting } from '../../../dns/gateways.js';
import { routing } from '../../routing-index.js';
import { andList, chainDomains } from '../../routing-facts.js';
import { domainText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * KB 321721: "one system is the inbound gateway from the internet (it is the MX)". Mail for
 * a shared domain must enter at the chain's gateway, which forwards what it cannot resolve
 * down the chain; an MX that names another system of the chain skips the gateway's
 * mailboxes (its recipients bounce there), and an MX outside the file goes nowhere the
 * file knows. Checked for the MX the file wants (`domains.*.mx`) and the MX it says is
 * published (`domains.*.published.mx`). The gateways come from the routing engine
 * (routing-facts' entryGateways), keeping those that accept the domain.
 */
export const mxNotAtGateway = defineRule({
  id: 'mx-not-at-gateway',
  defaultSeverity: 'error',
  description: 'an MX host of a shared domain is not a gateway where the chain receives its internet mail',
  check(ctx) {
    const { model } = ctx;
    const shared = chainDomains(ctx);
    const byHost = new Map<string, string>();
    for (const s of [...model.systems.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) if (!s.host.error && !byHost.has(s.host.host)) byHost.set(s.host.host, s.name);
    for (const decl of model.domains.values()) {
      const domain = decl.name.ascii;
      if (!domain || decl.remote || !shared.has(domain)) continue;
      const listed: { host: string; path: Path; published: boolean }[] = [
        ...(decl.dns.mx ?? []).map((m) => ({ host: m.host, path: m.path, published: false })),
        ...(decl.dns.published.mx ?? []).map((m) => ({ host: m.host, path: m.path, published: true })),
      ];
      if (listed.length === 0) continue;
      const gateways = gatewaysAccepting(routing(ctx).entries, domain);
      if (gateways.length === 0) continue; // no gateway accepts it: the routing rules say why
      const hosts = new Map(gateways.map((g) => [model.systems.get(g)?.host.host ?? '', g]));
      for (const m of listed) {
        if (hosts.has(m.host)) continue;
        const system = byHost.get(m.host);
        const which = m.published ? 'the published MX host' : 'MX host';
        const why = system !== undefined ? `is system ${q(system)}, not ${gateways.length === 1 ? 'the gateway' : 'a gateway'} ${andList(gateways.map(q))}` : `is no system of the file`;
        const gatewayHosts = gateways.map((g) => model.systems.get(g)).filter((s) => s && !s.host.isIp).map((s) => s?.host.host ?? '');
        ctx.report({
          message: `${which} ${q(m.host)} of ${domainText(model, domain)} ${why}: internet mail for the shared domain must enter at the chain's gateway, which passes what it cannot resolve down the chain`,
          at: { path: m.path },
          related: gateways.map((g) => ({ message: `gateway ${q(g)} accepts ${domainText(model, domain)}`, at: { path: ['systems', g, 'host'] } })),
          ...(gatewayHosts.length > 0 && !m.published
            ? { fix: { description: `point the MX at the gateway's host`, yaml: gatewayHosts.map((h) => `- ${h}`).join('\n') } }
            : {}),
          data: { domain, host: m.host, system: system ?? '', gateways: gateways.join(', '), published: String(m.published) },
        });
      }
    }
  },
});
