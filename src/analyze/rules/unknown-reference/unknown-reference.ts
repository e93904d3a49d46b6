import type { Path } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import { didYouMean } from '../../../validate/did-you-mean.js';
import { isHostReference, systemNames, yamlSnippet } from '../../indexes.js';
import { defineRule, type RuleContext } from '../../rule.js';

/** One place that names a system. */
interface Reference {
  readonly name: string;
  /** Who names it, for the message: `policy "Default Policy"`. */
  readonly referrer: string;
  readonly path: Path;
  /** The YAML that replaces the reference, given the corrected name. */
  readonly fix: (name: string) => Record<string, unknown>;
}

/**
 * A system name that no system of the file has. Systems are the only named objects that
 * other objects refer to (domains are checked by undeclared-domain). Names of systems that
 * failed the schema exist and are skipped: the schema finding already explains them.
 */
export const unknownReference = defineRule({
  id: 'unknown-reference',
  defaultSeverity: 'error',
  description: 'a system, domain, connector or policy name that does not exist (did you mean)',
  check(ctx) {
    const names = systemNames(ctx);
    const known = [...ctx.model.systems.keys()];
    for (const ref of references(ctx)) {
      if (names.has(ref.name)) continue;
      const guess = didYouMean(ref.name, known) ?? byKind(ctx, ref.name);
      const hint = guess
        ? `did you mean ${q(guess)}?`
        : known.length > 0
          ? `the systems are ${list(known)}`
          : 'the file declares no systems';
      ctx.report({
        message: `unknown system ${q(ref.name)} in ${ref.referrer}: ${hint}`,
        at: { path: ref.path },
        ...(guess ? { fix: { description: `replace ${q(ref.name)} with ${q(guess)}`, yaml: yamlSnippet(ref.fix(guess)) } } : {}),
        data: { kind: 'system', name: ref.name, ...(guess ? { suggestion: guess } : {}) },
      });
    }
    contactsWithoutSystem(ctx);
  },
});

function references(ctx: RuleContext): Reference[] {
  const { model } = ctx;
  const cfg = model.config;
  const out: Reference[] = [];
  for (const p of model.policies) {
    out.push({ name: p.system, referrer: `policy ${q(p.name)}`, path: [...p.path, 'system'], fix: (n) => ({ system: n }) });
  }
  for (const c of model.connectors) {
    const referrer = `connector ${q(c.name)}`;
    const i = c.path[1] as number;
    if (typeof cfg.connectors?.[i]?.system === 'string') {
      out.push({ name: c.systems[0] ?? '', referrer, path: [...c.path, 'system'], fix: (n) => ({ system: n }) });
    } else {
      c.systems.forEach((s, j) => {
        const fix = (n: string): Record<string, unknown> => ({ system: c.systems.map((x, k) => (k === j ? n : x)) });
        out.push({ name: s, referrer, path: [...c.path, 'system', j], fix });
      });
    }
    if (c.to !== undefined) out.push({ name: c.to, referrer, path: [...c.path, 'to'], fix: (n) => ({ to: n }) });
  }
  for (const c of model.chains) {
    c.order.forEach((s, j) => {
      const fix = (n: string): Record<string, unknown> => ({ order: c.order.map((x, k) => (k === j ? n : x)) });
      out.push({ name: s, referrer: `the order of chain ${q(c.name)}`, path: [...c.path, 'order', j], fix });
    });
  }
  for (const c of model.contacts) {
    const i = c.path[1] as number;
    const written = cfg.contacts?.[i]?.system;
    if (written !== undefined) {
      out.push({ name: written, referrer: `contact ${q(c.cn)}`, path: [...c.path, 'system'], fix: (n) => ({ system: n }) });
    }
  }
  for (const s of model.systems.values()) {
    const f = s.forwardUnresolvedTo;
    if (f !== null && !isHostReference(f)) {
      out.push({
        name: f,
        referrer: `forwardUnresolvedTo of system ${q(s.name)}`,
        path: [...s.path, 'forwardUnresolvedTo'],
        fix: (n) => ({ forwardUnresolvedTo: n }),
      });
    }
  }
  (cfg.tests ?? []).forEach((t, i) => {
    if (!t) return;
    const referrer = `test ${q(t.to)}`;
    if (t.from !== undefined && t.from !== 'internet') {
      out.push({ name: t.from, referrer, path: ['tests', i, 'from'], fix: (n) => ({ from: n }) });
    }
    for (const kind of ['delivered', 'bounced', 'refused'] as const) {
      const v = t.expect[kind];
      if (v !== undefined) out.push({ name: v, referrer, path: ['tests', i, 'expect', kind], fix: (n) => ({ [kind]: n }) });
    }
  });
  return out;
}

/**
 * A contact's directory must be an Exchange system. `system` may be left out only when the
 * file has exactly one (normalize fills it in then).
 */
function contactsWithoutSystem(ctx: RuleContext): void {
  const { model } = ctx;
  const exchanges = [...model.systems.values()].filter((s) => s.kind === 'exchange').map((s) => s.name);
  // a rejected system may be the exchange system the user meant: the schema finding says enough
  if (exchanges.length === 0 && model.rejected.systems.size > 0) return;
  for (const c of model.contacts) {
    const i = c.path[1] as number;
    if (model.config.contacts?.[i]?.system !== undefined || exchanges.length === 1) continue;
    const why =
      exchanges.length === 0
        ? 'the file has no system of kind exchange to hold it'
        : `the file has ${exchanges.length} exchange systems: ${list(exchanges)}`;
    ctx.report({
      message: `contact ${q(c.cn)} needs system: ${why}`,
      at: { path: c.path },
      // no fix: which directory holds the contact is the user's choice, not a typo
      data: { kind: 'contact-system', contact: c.cn },
    });
  }
}

/** A kind written where a system name belongs (`order: [exchange, postfix]`): the one system of that kind. */
function byKind(ctx: RuleContext, name: string): string | undefined {
  const kind = name.toLowerCase();
  const matches = [...ctx.model.systems.values()].filter((s) => s.kind === kind);
  return matches.length === 1 ? matches[0]?.name : undefined;
}

/** `"a", "b", "c"`; long lists are cut after eight names. */
function list(names: readonly string[]): string {
  const shown = names.slice(0, 8).map(q).join(', ');
  return names.length > 8 ? `${shown}, ... (${names.length} in all)` : shown;
}
