import { ouNames } from '../../../src/compile/targets/ldif/contact-entries.js';
import { parseHost } from '../../../src/normalize/address.js';
import { checkAll } from './oracles.js';
import { build, FIELDS, fieldByName, loadConfig, REFUSING_RULES, withValues, type Built, type Field, type Loaded } from './org.js';

/**
 * A value of the same shape as `v` but harmless: the build of the organisation with these
 * values must have the same code (setup.ps1) and markup (runbook.md) outside strings and
 * code spans, so a hostile value that leaks out of its string shows as a difference.
 */
export function twinValue(f: Field, v: string): string {
  // a non-ASCII value makes the csvde file Unicode, which the runbook says: keep that
  const i = `${FIELDS.indexOf(f)}${/[^\x00-\x7f]/.test(v) ? 'é' : ''}`;
  switch (f.kind) {
    case 'text':
      if (v === '') return '';
      if (f.name === 'policy filter' && v.toLowerCase() === '(mailnickname=*)') return v;
      return `twin${i}`;
    case 'ou': {
      // the unit names are trimmed: whether they are ASCII decides, not the value as written
      const names = ouNames(v);
      const mark = /[^\x00-\x7f]/.test(names.join('')) ? 'é' : '';
      return names.length === 0 ? v : names.map((_, k) => `ou${k}x${FIELDS.indexOf(f)}${mark}`).join(',');
    }
    case 'local':
      return `twin${i}`;
    case 'transport':
      return 'local:';
    case 'host': {
      const port = parseHost(v).port;
      return `[192.0.2.${i}]${port !== undefined ? `:${port}` : ''}`;
    }
    case 'domain':
      return `twin${i}.example`;
    case 'dn':
      return v;
  }
}

/** Fields whose value can change which objects meet (hosts, domains): no twin comparison for them. */
const NO_TWIN = new Set(['host', 'domain']);

export type Outcome =
  /** Refused by lint: the rule ids of the error findings. */
  | { readonly kind: 'refused'; readonly rules: readonly string[]; readonly loaded: Loaded }
  /** Accepted, every artifact reads back to the values; `postfixRefused` when the Postfix target refused it with a clear error. */
  | { readonly kind: 'ok'; readonly loaded: Loaded; readonly built: Built; readonly postfixRefused?: string };

/**
 * Puts `values` into the organisation, lints it, and when lint has no error builds every
 * artifact and checks each one with the independent readers (throws on a mismatch).
 */
export function roundTrip(values: Readonly<Record<string, string>>): Outcome {
  const c = withValues(values);
  const loaded = loadConfig(c);
  if (loaded.result.errors > 0 || !loaded.model) {
    return { kind: 'refused', rules: [...new Set(loaded.result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.ruleId))].sort(), loaded };
  }
  const built = build(loaded.model);
  const entries = Object.entries(values);
  let twin;
  if (!entries.some(([n]) => NO_TWIN.has(fieldByName(n).kind))) {
    const tc = withValues(Object.fromEntries(entries.map(([n, v]) => [n, twinValue(fieldByName(n), v)])));
    const tl = loadConfig(tc);
    if (tl.model) twin = build(tl.model).files;
  }
  checkAll(c, built, twin);
  return { kind: 'ok', loaded, built, ...(built.postfixRefused ? { postfixRefused: built.postfixRefused.message } : {}) };
}

/** A short description of an outcome for table tests: "ok", "ok, postfix refused", "refused: schema". */
export function summary(o: Outcome): string {
  if (o.kind === 'refused') {
    // the input rules say why; others (an unroutable contact after its connector was refused) follow from it
    const input = o.rules.filter((r) => REFUSING_RULES.has(r));
    return `refused: ${(input.length ? input : o.rules).join(', ')}`;
  }
  return o.postfixRefused ? 'ok, postfix refused' : 'ok';
}
