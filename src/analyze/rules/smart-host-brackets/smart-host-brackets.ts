import type { Path } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import type { HostSpec } from '../../../model/model.js';
import { yamlSnippet } from '../../indexes.js';
import { defineRule, type RuleContext } from '../../rule.js';

/**
 * A smart host or system host written as a bare IP address. Brackets mean "this host, no
 * MX lookup": Exchange 2000/2003 requires them around an IP smart host ("If you use an IP
 * address, you must enclose it in brackets", KB 257426; the seed's step 4), and Postfix
 * says "The [] form is required when you specify an IP address instead of a hostname"
 * (transport(5)); without them a next hop is a name whose MX records are looked up. The
 * model stores the host structurally, so each target renders its own dialect; the YAML
 * should still say what is meant.
 */
export const smartHostBrackets = defineRule({
  id: 'smart-host-brackets',
  defaultSeverity: 'warning',
  description: 'a smart host given as an IP address without `[]`',
  check(ctx) {
    for (const s of ctx.model.systems.values()) {
      if (!needsBrackets(s.host)) continue;
      report(ctx.report, s.host, `system ${q(s.name)} has host`, [...s.path, 'host'], (b) => ({ host: b }));
    }
    for (const c of ctx.model.connectors) {
      c.smartHosts.forEach((h, j) => {
        if (!needsBrackets(h)) return;
        const all = (b: string): Record<string, unknown> => ({ smartHosts: c.smartHosts.map((x, k) => (k === j ? b : x.raw)) });
        report(ctx.report, h, `connector ${q(c.name)} has smart host`, h.path, all);
      });
    }
  },
});

function needsBrackets(h: HostSpec): boolean {
  return h.error === undefined && h.isIp && !h.bracketed;
}

/** `192.168.1.10` -> `[192.168.1.10]`, `10.0.0.1:2525` -> `[10.0.0.1]:2525`, IPv6 too. */
export function bracketed(h: HostSpec): string {
  return `[${h.host}]${h.port !== undefined ? `:${h.port}` : ''}`;
}

function report(
  emit: RuleContext['report'],
  h: HostSpec,
  what: string,
  path: Path,
  yaml: (b: string) => Record<string, unknown>,
): void {
  const b = bracketed(h);
  emit({
    message: `${what} ${q(h.raw)}, an IP address without brackets: write ${q(b)} (Exchange 2000/2003 and Postfix take an IP next hop only in brackets)`,
    at: { path },
    fix: { description: `write ${q(b)}`, yaml: yamlSnippet(yaml(b)) },
    data: { host: h.raw, fixed: b },
  });
}
