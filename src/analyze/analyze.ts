import type { Finding } from '../diagnostics/diagnostic.js';
import type { Model } from '../model/model.js';
import { rules } from './registry.js';
import type { RuleContext } from './rule.js';

/**
 * Runs every rule with a check over the model and returns their findings. Pure: rules
 * share computed indexes through `memo`, which lives for this call only. Rules turned
 * `off` (by `lint.rules` or the caller) are not run at all.
 */
export function analyze(model: Model, off: ReadonlySet<string> = new Set()): Finding[] {
  const findings: Finding[] = [];
  const memo = new Map<string, unknown>();
  for (const rule of rules) {
    if (!rule.check || off.has(rule.id)) continue;
    const ctx: RuleContext = {
      model,
      report: (f) => findings.push({ ...f, ruleId: rule.id }),
      memo: <T>(key: string, compute: (m: Model) => T): T => {
        if (!memo.has(key)) memo.set(key, compute(model));
        return memo.get(key) as T;
      },
    };
    rule.check(ctx);
  }
  return findings;
}
