import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Finding, Path } from '../diagnostics/diagnostic.js';
import { q } from '../diagnostics/diagnostic.js';
import type { Model } from '../model/model.js';
import { SCHEMA_SHA256, validate as precompiled } from './chainmail-validator.generated.js';
import { didYouMean } from './did-you-mean.js';
import { keysForKind } from './kind-keys.js';
import { pointerToPath, prune, target } from './prune.js';

const require = createRequire(import.meta.url);

/** The chainmail JSON Schema (draft 2020-12), the single source of truth for the file's shape. */
export const chainmailSchema: Record<string, unknown> = require('../../schemas/chainmail.schema.json') as Record<string, unknown>;

/** ajv's options; scripts/gen-validator.mjs generates the precompiled validator with the same. */
export const AJV_OPTIONS = { allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, useDefaults: false, verbose: true } as const;

/** Compiles the schema with ajv at run time (what the generated validator spares). */
export function compileValidator(): ValidateFunction {
  // ajv and ajv-formats are CommonJS; the 2020-12 dialect lives in ajv/dist/2020.
  const Ajv2020 = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js').default;
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const ajv = new Ajv2020({ ...AJV_OPTIONS });
  addFormats(ajv);
  return ajv.compile(chainmailSchema);
}

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  // The validator generated at build time (scripts/gen-validator.mjs) spares loading ajv and
  // compiling the schema, ~0.13 s per run; a schema edited since then is compiled here.
  compiled ??= SCHEMA_SHA256 === createHash('sha256').update(JSON.stringify(chainmailSchema)).digest('hex') ? (precompiled as ValidateFunction) : compileValidator();
  return compiled;
}

/** Result of validation: findings, and the document without what failed the schema. */
export interface ValidateResult {
  readonly findings: readonly Finding[];
  /** The document without what failed the schema (list items become holes); undefined when fatal. */
  readonly value?: Record<string, unknown>;
  /** Paths that were left out, in the document's own indexes. */
  readonly removed: readonly Path[];
  /** Names of systems and domains whose whole object was left out. */
  readonly rejected: Model['rejected'];
  /** True when the document as a whole is unusable (not a mapping, wrong version). */
  readonly fatal: boolean;
}

const NOTHING: Model['rejected'] = { systems: new Set(), domains: new Set() };

/**
 * Validates the merged document against the JSON Schema; turns ajv errors into sentences
 * and leaves out only what failed (see prune.ts): an unknown key is ignored and its object
 * still analysed, so one run shows every problem.
 */
export function validate(config: unknown): ValidateResult {
  if (config === null || config === undefined) {
    return {
      findings: [{ ruleId: 'schema', message: 'the file is empty: start it with "version: 1" and the systems that share your domains', at: { path: [] } }],
      removed: [],
      rejected: NOTHING,
      fatal: true,
    };
  }
  if (typeof config !== 'object' || Array.isArray(config)) {
    return {
      findings: [{ ruleId: 'schema', message: `the file must be a mapping with "version: 1", not a ${Array.isArray(config) ? 'list' : typeof config}`, at: { path: [] } }],
      removed: [],
      rejected: NOTHING,
      fatal: true,
    };
  }
  const doc = config as Record<string, unknown>;
  const v = validator();
  if (v(doc)) return { findings: [], value: doc, removed: [], rejected: NOTHING, fatal: false };
  const errors = collapse(v.errors ?? []);
  const findings: Finding[] = [];
  const targets: Path[] = [];
  let fatal = false;
  for (const e of errors) {
    const path = pointerToPath(e.instancePath);
    findings.push(describe(e, path, doc));
    // without version 1 nothing else of the file can be read with confidence
    if (path[0] === 'version' || (path.length === 0 && e.keyword === 'required' && (e.params as { missingProperty?: string }).missingProperty === 'version')) fatal = true;
    const t = target(e, path);
    if (t) targets.push(t);
  }
  if (fatal) return { findings: dedupe(findings), removed: [], rejected: NOTHING, fatal };
  const pruned = prune(doc, targets, v, collapse);
  return { findings: dedupe(findings), value: pruned.value, removed: pruned.removed, rejected: rejectedNames(pruned.removed), fatal };
}

/** Systems and domains left out whole: references to them are not "unknown" (the schema finding explains them). */
function rejectedNames(removed: readonly Path[]): Model['rejected'] {
  const systems = new Set<string>();
  const domains = new Set<string>();
  for (const [section, name, ...rest] of removed) {
    if (rest.length > 0 || typeof name !== 'string') continue;
    if (section === 'systems') systems.add(name);
    if (section === 'domains') domains.add(name);
  }
  return { systems, domains };
}

function collapse(errors: readonly ErrorObject[]): ErrorObject[] {
  // Combinator noise: drop `oneOf`/`anyOf`/`if` summaries when a deeper error explains them,
  // and for mailbox entries (string | object) keep the errors of the branch the user meant:
  // a branch whose own type does not fit the value says nothing about it.
  const branchMiss = (e: ErrorObject): boolean => e.keyword === 'type' && /\/(oneOf|anyOf)\/\d+\/type$/.test(e.schemaPath);
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === 'if' || branchMiss(e)) continue;
    // the `propertyNames` error itself names the key; its inner error only repeats it
    if ((e as ErrorObject & { propertyName?: string }).propertyName !== undefined) continue;
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') {
      const base = e.schemaPath.replace(/\/(oneOf|anyOf)$/, '');
      if (errors.some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && !branchMiss(o) && o.keyword !== 'oneOf' && o.schemaPath.startsWith(base))) continue;
    }
    out.push(e);
  }
  return out;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${JSON.stringify(f.at)}|${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function where(path: Path): string {
  if (path.length === 0) return 'the file';
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function valueAt(root: unknown, path: Path): unknown {
  let v: unknown = root;
  for (const s of path) v = (v as Record<string | number, unknown> | undefined)?.[s];
  return v;
}

function describe(e: ErrorObject, path: Path, root: unknown): Finding {
  const p = e.params as Record<string, unknown>;
  const here = where(path);
  const schemaNode = e.parentSchema as { properties?: Record<string, unknown>; description?: string } | undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p['additionalProperty']);
      const known = Object.keys(schemaNode?.properties ?? {});
      const guess = didYouMean(key, known);
      // on a system, the keys of its own kind: the others are allowed but do nothing there
      const listed = (path.length === 2 && path[0] === 'systems' ? keysForKind(schemaNode, (valueAt(root, path) as { kind?: unknown } | undefined)?.kind) : undefined) ?? known;
      const hint = guess ? `did you mean ${q(guess)}?` : listed.length ? `allowed keys: ${listed.join(', ')}` : 'remove it';
      return { ruleId: 'schema', message: `unknown key ${q(key)} in ${here}: ${hint}`, at: { path: [...path, key], key: true }, data: { key, ...(guess ? { suggestion: guess } : {}) } };
    }
    case 'required': {
      const key = String(p['missingProperty']);
      return { ruleId: 'schema', message: `${here} is missing the required key ${q(key)}`, at: { path, key: path.length > 0 }, data: { key } };
    }
    case 'type': {
      const want = String(p['type']).replace(/,/g, ' or ');
      const got = valueAt(root, path);
      return { ruleId: 'schema', message: `${here} must be ${article(want)}, not ${describeValue(got)}`, at: { path } };
    }
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map((x) => q(String(x)));
      const got = valueAt(root, path);
      const guess = typeof got === 'string' ? didYouMean(got, (p['allowedValues'] as unknown[]).map(String)) : undefined;
      return { ruleId: 'schema', message: `${here} is ${describeValue(got)}: must be one of ${allowed.join(', ')}${guess ? ` (did you mean ${q(guess)}?)` : ''}`, at: { path } };
    }
    case 'const':
      return { ruleId: 'schema', message: `${here} must be ${JSON.stringify(p['allowedValue'])}, not ${describeValue(valueAt(root, path))}`, at: { path } };
    case 'pattern':
      return { ruleId: 'schema', message: `${here} ${describeValue(valueAt(root, path))} ${patternHint(path)}`, at: { path } };
    case 'propertyNames':
      return { ruleId: 'schema', message: `${here} has an invalid name ${q(String(p['propertyName']))}${path[0] === 'systems' ? ': system names are letters, digits, ".", "_" and "-"' : ''}`, at: { path: [...path, String(p['propertyName'])], key: true } };
    case 'minItems':
      return { ruleId: 'schema', message: `${here} must list at least ${String(p['limit'])} item${p['limit'] === 1 ? '' : 's'}`, at: { path } };
    case 'minLength':
      return { ruleId: 'schema', message: `${here} must not be empty`, at: { path } };
    case 'maxLength':
      return { ruleId: 'schema', message: `${here} is longer than ${String(p['limit'])} characters`, at: { path } };
    case 'minimum':
    case 'maximum':
      return { ruleId: 'schema', message: `${here} must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p['limit'])}, not ${describeValue(valueAt(root, path))}`, at: { path } };
    case 'dependentSchemas':
    case 'not': {
      if (path[0] === 'connectors') return { ruleId: 'schema', message: `${here} has both "to" and "smartHosts": give one of them`, at: { path } };
      if (path[0] === 'tests') return { ruleId: 'schema', message: `${here} names more than one outcome: keep one of delivered, bounced, refused, looped, external`, at: { path } };
      return { ruleId: 'schema', message: `${here} ${e.message ?? 'is not valid'}`, at: { path } };
    }
    case 'minProperties':
    case 'maxProperties':
      if (path[0] === 'tests') return { ruleId: 'schema', message: `${here} must name exactly one outcome (delivered, bounced, refused, looped or external), optionally with status`, at: { path } };
      return { ruleId: 'schema', message: `${here} ${e.message ?? 'is not valid'}`, at: { path } };
    case 'oneOf':
    case 'anyOf':
      if (path[0] === 'systems' && path.includes('mailboxes')) return { ruleId: 'schema', message: `${here} must be an address or { address, aliases }`, at: { path } };
      if (path[0] === 'connectors') return { ruleId: 'schema', message: `${here} must be a system name or a list of system names`, at: { path } };
      return { ruleId: 'schema', message: `${here} does not match any allowed form`, at: { path } };
    default:
      return { ruleId: 'schema', message: `${here} ${e.message ?? 'is not valid'}`, at: { path } };
  }
}

function patternHint(path: Path): string {
  const last = path[path.length - 1];
  // free-text values reach LDIF, CSV, PowerShell and main.cf: no line breaks or control characters
  if (['name', 'cn', 'ou', 'givenName', 'sn', 'displayName', 'mailNickname', 'description', 'filter', 'localTransport'].includes(String(last))) {
    return 'contains a line break or control character: artifacts (LDIF, csvde, PowerShell, Postfix) need it on one line';
  }
  if (last === 'space') return 'must start with "@", e.g. "@example.com"';
  if (last === 'baseDn') return 'is not a distinguished name (RFC 4514): write it as "dc=xo,dc=one", escaping specials with "\\"';
  if (last === 'status') return 'must be an enhanced status code such as "5.1.1"';
  return 'has the wrong form';
}

function article(type: string): string {
  if (type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  if (type.startsWith('integer')) return 'a whole number';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return q(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}
