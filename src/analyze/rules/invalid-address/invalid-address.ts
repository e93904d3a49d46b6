import type { Target } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import type { DomainName } from '../../../model/model.js';
import { parseAddress, parseDomain, parseHost } from '../../../normalize/address.js';
import { declaredSpellings, forEachAddress, isHostReference, yamlSnippet } from '../../indexes.js';
import { defineRule, type Report, type RuleContext } from '../../rule.js';

const ADDRESS_EXAMPLE = 'a correct address looks like "bob@example.com"';
const DOMAIN_EXAMPLE = 'a correct domain looks like "example.com" (Unicode such as "例え.jp" is fine)';
const HOST_EXAMPLE = 'a correct host looks like "mail.example.com", "[192.168.1.10]" or "[192.168.1.10]:2525"';

/**
 * Addresses, domains and hosts that are not RFC 5321 syntax (with RFC 6531 UTF-8 local
 * parts and UTS #46 domains). The parsers in normalize/address.ts say what is wrong; this
 * rule says where, and what a correct value looks like. Postfix would refuse such a map key
 * (or, worse, accept it and never match), Exchange would refuse the proxy address.
 */
export const invalidAddress = defineRule({
  id: 'invalid-address',
  defaultSeverity: 'error',
  description: 'an address, domain or smart host that is not valid SMTP syntax',
  check(ctx) {
    domainKeys(ctx);
    forEachAddress(ctx.model, (a, at, role, owner) => {
      if (a.error === undefined) return;
      ctx.report({
        message: `address ${q(a.display)} (${owner}) ${a.error}: ${addressHint(a.display)}`,
        at,
        data: { kind: 'address', role, value: a.display, error: a.error },
      });
    });
    const { model } = ctx;
    for (const p of model.policies) {
      for (const a of p.addresses) {
        domainError(ctx, a.domain, `space %s of policy ${q(p.name)}`, { path: [...a.path, 'space'] }, 'space');
      }
    }
    for (const c of model.connectors) {
      const spaces = c.addressSpaces.map((s) => (s.domain === '*' ? '*' : s.domain.display));
      c.addressSpaces.forEach((s, j) => {
        if (s.domain === '*') return;
        domainError(ctx, s.domain, `address space %s of connector ${q(c.name)}`, { path: s.path }, (n) => ({ addressSpaces: replaced(spaces, j, n) }));
      });
      for (const h of c.smartHosts) hostError(ctx, h.raw, `smart host %s of connector ${q(c.name)}`, { path: h.path });
    }
    for (const c of model.chains) {
      const domains = c.domains.map((d) => d.domain.display);
      c.domains.forEach((d, j) => {
        domainError(ctx, d.domain, `domain %s of chain ${q(c.name)}`, { path: d.path }, (n) => ({ domains: replaced(domains, j, n) }));
      });
    }
    for (const s of model.systems.values()) {
      hostError(ctx, s.host.raw, `host %s of system ${q(s.name)}`, { path: [...s.path, 'host'] });
      const f = s.forwardUnresolvedTo;
      if (f !== null && isHostReference(f)) {
        hostError(ctx, f, `host %s in forwardUnresolvedTo of system ${q(s.name)}`, { path: [...s.path, 'forwardUnresolvedTo'] });
      }
    }
    (model.config.tests ?? []).forEach((t, i) => {
      if (!t) return;
      const a = parseAddress(t.to);
      if (a.error !== undefined) {
        ctx.report({
          message: `address ${q(t.to)} (recipient of a test) ${a.error}: ${addressHint(t.to)}`,
          at: { path: ['tests', i, 'to'] },
          data: { kind: 'address', role: 'test', value: t.to, error: a.error },
        });
      }
      const ext = t.expect.external;
      if (ext !== undefined) hostError(ctx, ext, `external host %s expected by test ${q(t.to)}`, { path: ['tests', i, 'expect', 'external'] });
    });
  },
});

/** Domain keys that are not domain names, and one domain declared in two spellings. */
function domainKeys(ctx: RuleContext): void {
  for (const name of Object.keys(ctx.model.config.domains ?? {})) {
    const d = parseDomain(name);
    if (d.error === undefined) continue;
    ctx.report({
      message: `domain ${q(name)} under domains ${d.error}: ${domainHint(name)}`,
      at: { path: ['domains', name], key: true },
      ...withoutAt(name, (n) => ({ domains: { [n]: {} } })),
      data: { kind: 'domain', value: name, error: d.error },
    });
  }
  for (const [ascii, names] of declaredSpellings(ctx)) {
    const [first, ...rest] = names;
    if (first === undefined) continue;
    for (const name of rest) {
      ctx.report({
        message: `domain ${q(name)} is declared twice: as ${q(first)} and as ${q(name)}, both ${ascii}: keep one of them`,
        at: { path: ['domains', name], key: true },
        related: [{ message: `first declared as ${q(first)}`, at: { path: ['domains', first], key: true } }],
        data: { kind: 'duplicate-domain', value: name, first, domain: ascii },
      });
    }
  }
}

/**
 * Reports a domain that did not parse; `what` names it with `%s` for the value. `fix` is 'space' for a policy space (written with
 * its "@"), or builds the corrected list that holds the domain.
 */
function domainError(
  ctx: RuleContext,
  d: DomainName,
  what: string,
  at: Target,
  fixYaml: 'space' | ((name: string) => Record<string, unknown>),
): void {
  if (d.ascii) return;
  const kind = fixYaml === 'space' ? 'space' : 'domain';
  const error = parseDomain(d.display).error ?? 'is not a valid domain name';
  const hint = kind === 'space' ? 'a correct space looks like "@example.com"' : domainHint(d.display);
  const fix = fixYaml === 'space' ? {} : withoutAt(d.display, fixYaml);
  ctx.report({
    message: `${what.replace('%s', () => q(kind === 'space' ? `@${d.display}` : d.display))} ${error}: ${hint}`,
    at,
    ...fix,
    data: { kind, value: d.display, error },
  });
}

function hostError(ctx: RuleContext, raw: string, what: string, at: Target): void {
  const h = parseHost(raw);
  if (h.error === undefined) return;
  ctx.report({ message: `${what.replace('%s', () => q(raw))} ${h.error}: ${HOST_EXAMPLE}`, at, data: { kind: 'host', value: raw, error: h.error } });
}

/** What to write instead: the common slips get a specific hint. */
function addressHint(value: string): string {
  if (/^\s*<.*>\s*$/.test(value)) return `remove the angle brackets; ${ADDRESS_EXAMPLE}`;
  if (/^mailto:/i.test(value)) return `remove "mailto:"; ${ADDRESS_EXAMPLE}`;
  if (/^smtp:/i.test(value)) return `an "smtp:" prefix belongs only in contact proxyAddresses; ${ADDRESS_EXAMPLE}`;
  return ADDRESS_EXAMPLE;
}

function domainHint(value: string): string {
  if (value.startsWith('@')) return `write it without "@": ${q(value.slice(1))}`;
  if (value.startsWith('*')) return `list each domain without wildcards (a connector's "*" alone means every other domain); ${DOMAIN_EXAMPLE}`;
  return DOMAIN_EXAMPLE;
}

function replaced(list: readonly string[], i: number, value: string): string[] {
  return list.map((x, k) => (k === i ? value : x));
}

/** A fix for the commonest slip: a domain written with the `@` of a policy space. */
function withoutAt(value: string, yaml: (name: string) => Record<string, unknown>): Partial<Pick<Report, 'fix'>> {
  const rest = value.slice(1);
  if (!value.startsWith('@') || parseDomain(rest).error !== undefined) return {};
  return { fix: { description: `remove the "@" from ${q(value)}`, yaml: yamlSnippet(yaml(rest)) } };
}
