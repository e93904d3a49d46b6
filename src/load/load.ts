import { createHash } from 'node:crypto';
import { dirname, relative, resolve as resolvePath, isAbsolute } from 'node:path';
import * as jsYaml from 'js-yaml';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { Finding, Span } from '../diagnostics/diagnostic.js';
import { q } from '../diagnostics/diagnostic.js';
import { SourceStore, lineCounterFor, type Source } from '../diagnostics/source-store.js';
import { shownPath } from '../diagnostics/shown-path.js';
import { boundary, ContainedReader } from './containment.js';
import { Origins } from './origins.js';
import { checkMergeKeys } from './merge-keys.js';
import { countObjects, deepNodeOffset, mayHoldSurrogateEscape, nestingGuardOffset, surrogateEscapeOffset, valueProblem } from './shape.js';
import { refusalFinding, type Named } from './refusals.js';
import { decodeText } from './text.js';

/** Limits on input, documented in docs/limits.md. */
export const LIMITS = {
  /** Largest YAML file read (bytes). */
  maxYamlBytes: 16 * 1024 * 1024,
  /** Largest mailbox file read (bytes): 100,000+ addresses fit easily. */
  maxMailboxFileBytes: 256 * 1024 * 1024,
  /** Bytes read in one run, all files together: bounds a file listed many times or many large files. */
  maxTotalBytes: 512 * 1024 * 1024,
  /** YAML aliases expanded per document: a low cap stops "billion laughs" alias bombs. */
  maxAliasCount: 50,
  /** Include nesting depth and total number of included files. */
  maxIncludeDepth: 8,
  maxIncludes: 256,
  /** Collections nested in one another in a YAML file (a chainmail file needs about 6). */
  maxNestingDepth: 64,
  /** Objects in the merged file: domains, systems, policies, connectors, chains, contacts, tests, mailboxes, aliases and mailbox-file addresses. */
  maxObjects: 1_000_000,
} as const;

/** Before any parser runs, a rough scan refuses nesting this deep (see nestingGuardOffset). */
const NESTING_GUARD = 4 * LIMITS.maxNestingDepth;
const NESTING_MESSAGE = `YAML nested deeper than ${LIMITS.maxNestingDepth} levels (a chainmail file needs about 6): flatten it`;

/** One address line of a mailbox file. */
export interface MailboxFileLine {
  readonly address: string;
  readonly span: Span;
}

/** The result of loading: the merged (unvalidated) document and everything needed to locate findings. */
export interface LoadResult {
  /** The merged plain-JS document; `undefined` when the main file did not parse. */
  readonly config: unknown;
  readonly sources: SourceStore;
  readonly origins: Origins;
  /** Addresses read from `mailboxFiles`, by system name, in file order. */
  readonly mailboxFiles: ReadonlyMap<string, readonly MailboxFileLine[]>;
  /** yaml-syntax and include-merge findings. */
  readonly findings: readonly Finding[];
  /** Set when a file cannot be read at all (exit 2): a one-line message naming it. */
  readonly fatal?: string;
  /** Every file read, by absolute path as named, with the sha256 of its bytes (the build's input). */
  readonly read: readonly { readonly path: string; readonly sha256: string }[];
}

/** Options of {@link load}. */
export interface LoadFileOptions {
  /** Directories outside the repository that files may also be read from (`--allow-path`). */
  readonly allowPaths?: readonly string[];
  /** The repository: default the git top level of the main file (or its directory outside git). */
  readonly root?: string;
  /**
   * YAML files already parsed by the caller ({@link parseAhead}), by absolute path: a file
   * whose text is the same is not parsed again (each entry is taken once). `plan --base`
   * parses a revision's files to find their includes before it loads them.
   */
  readonly parsedAhead?: Map<string, ParsedAhead>;
}

/** A YAML file's text and the value the loader's fast parser gave for it. */
export interface ParsedAhead {
  readonly text: string;
  readonly value: unknown;
}

/** Sections merged across included files: maps by key, lists by concatenation. */
const MAP_SECTIONS = new Set(['domains', 'systems']);
const LIST_SECTIONS = new Set(['policies', 'connectors', 'chains', 'contacts', 'tests']);
/** Keys only the main file may set. */
const MAIN_ONLY = new Set(['name', 'directory', 'lint']);

class Fatal extends Error {}

/**
 * Reads a chainmail file with its includes and mailbox files. Never throws for bad input:
 * syntax problems become `yaml-syntax` findings, unreadable files a `fatal` message.
 */
export function load(file: string, cwd: string = process.cwd(), options: LoadFileOptions = {}): LoadResult {
  const sources = new SourceStore();
  const mainAbs = resolvePath(cwd, file);
  const reader = new ContainedReader(boundary(mainAbs, (options.allowPaths ?? []).map((p) => resolvePath(cwd, p)), options.root), LIMITS.maxTotalBytes);
  const read: { path: string; sha256: string }[] = [];
  const absOf = new Map<string, string>();
  const origins = new Origins();
  const findings: Finding[] = [];
  const mailboxFiles = new Map<string, MailboxFileLine[]>();
  const display = (abs: string): string => {
    const rel = relative(cwd, abs);
    return shownPath(rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs);
  };
  /**
   * Reads a file through the containment boundary. A missing or unreadable file is fatal
   * (one line, exit 2); anything else refused is a finding at `at`, the place that named it,
   * which never quotes the file's content.
   */
  const readFile = (abs: string, shown: string, maxBytes: number, named: Named): string | undefined => {
    const r = reader.read(abs, shown, maxBytes);
    if (!r.ok) {
      const f = refusalFinding(r.refusal, named, display(reader.boundary.root));
      if (typeof f === 'string') throw new Fatal(f);
      findings.push(f);
      return undefined;
    }
    read.push({ path: abs, sha256: createHash('sha256').update(r.bytes).digest('hex') });
    return decodeText(r.bytes, shown, findings, sources);
  };
  const merged: Record<string, unknown> = {};
  let includeCount = 0;
  let mainEmpty = false;

  const readYaml = (abs: string, shown: string, named: Named): unknown => {
    const text = readFile(abs, shown, LIMITS.maxYamlBytes, named);
    if (text === undefined) return undefined;
    const guard = nestingGuardOffset(text, NESTING_GUARD);
    if (guard !== -1) {
      sources.add({ file: shown, text, lines: lineCounterFor(text) });
      findings.push({ ruleId: 'yaml-syntax', message: NESTING_MESSAGE, at: { span: { file: shown, start: guard, end: guard + 1 } } });
      return undefined;
    }
    // hostile shapes that parse: nested too deep, or a "\ud800" escape (half a character)
    const checked = (value: unknown): unknown => {
      const problem = valueProblem(value, LIMITS.maxNestingDepth, mayHoldSurrogateEscape(text));
      if (!problem) return value;
      const start = problem.kind === 'depth' ? deepNodeOffset(sources.get(shown)?.doc, LIMITS.maxNestingDepth) : surrogateEscapeOffset(text);
      const message =
        problem.kind === 'depth'
          ? NESTING_MESSAGE
          : `string ${q(problem.value)} holds a lone surrogate (an escape such as "\\ud800" is half of a character): write the character itself`;
      findings.push({ ruleId: 'yaml-syntax', message, at: { span: { file: shown, start, end: start + 1 } } });
      return undefined;
    };
    const ahead = options.parsedAhead?.get(abs);
    if (ahead !== undefined) options.parsedAhead?.delete(abs);
    const fast = ahead !== undefined && ahead.text === text ? { ok: true as const, value: ahead.value } : fastParse(text);
    if (fast.ok) {
      // the positions (a `yaml` Document) are computed only if a finding needs them
      sources.add(lazySource(shown, text));
      return checked(fast.value);
    }
    const lines = new LineCounter();
    const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines });
    sources.add({ file: shown, text, lines, doc });
    // one finding per line: a stray tab makes the parser report a cascade of follow-ups
    const linesWithError = new Set<number>();
    for (const e of [...doc.errors, ...doc.warnings]) {
      const line = lines.linePos(e.pos[0]).line;
      if (linesWithError.has(line)) continue;
      linesWithError.add(line);
      let end = Math.max(e.pos[1], e.pos[0] + 1);
      // the composer recursed too deep: that is the nesting limit, said plainly
      let message = e.code === 'RESOURCE_EXHAUSTION' ? NESTING_MESSAGE : yamlMessage(e.code, e.message);
      if (e.code === 'DUPLICATE_KEY') {
        const key = /^("[^"\n]*"|'[^'\n]*'|[^:\n]*?)\s*:/.exec(text.slice(e.pos[0], e.pos[0] + 300))?.[1];
        if (key) {
          end = e.pos[0] + key.length;
          message = `key ${key.startsWith('"') || key.startsWith("'") ? key : q(key)} appears twice in the same mapping: keep one of them`;
        }
      }
      findings.push({ ruleId: 'yaml-syntax', message, at: { span: { file: shown, start: e.pos[0], end } } });
    }
    if (doc.errors.length > 0) return undefined;
    findings.push(...checkMergeKeys(doc, shown));
    try {
      return checked(doc.toJS({ maxAliasCount: LIMITS.maxAliasCount }));
    } catch (e) {
      findings.push({
        ruleId: 'yaml-syntax',
        message: `too many alias expansions (over ${LIMITS.maxAliasCount}): remove the YAML anchors and aliases that repeat each other`,
        at: { span: { file: shown, start: 0, end: 1 } },
        data: { detail: String(e instanceof Error ? e.message : e) },
      });
      return undefined;
    }
  };

  const visit = (abs: string, stack: string[], named: Named): void => {
    const shown = display(abs);
    const isMain = stack.length === 0;
    absOf.set(shown, abs);
    const value = readYaml(abs, shown, named);
    if (isMain) origins.set([], { file: shown, path: [] });
    if (value === null && isMain) mainEmpty = true;
    if (value === undefined || value === null) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      if (isMain) merged['\u0000root'] = value;
      else findings.push(notMapping(shown));
      return;
    }
    const obj = value as Record<string, unknown>;
    for (const [key, val] of Object.entries(obj)) {
      if (key === 'include') continue;
      if (MAP_SECTIONS.has(key) && isPlainObject(val)) {
        const target = (merged[key] ??= {}) as Record<string, unknown>;
        if (!isPlainObject(target)) continue;
        if (isMain) origins.set([key], { file: shown, path: [key] });
        for (const [name, entry] of Object.entries(val)) {
          if (Object.hasOwn(target, name)) {
            if (key === 'systems' && mergeRecipients(target, name, entry, origins, shown)) continue;
            const first = origins.resolve([key, name]);
            findings.push({
              ruleId: 'schema',
              message: `${key === 'domains' ? 'domain' : 'system'} ${q(name)} is defined twice (also in ${q(first?.file ?? '?')}): define it once`,
              at: { span: keySpan(sources, shown, key, name) },
            });
            continue;
          }
          target[name] = entry;
          origins.set([key, name], { file: shown, path: [key, name] });
        }
      } else if (LIST_SECTIONS.has(key) && Array.isArray(val)) {
        const target = (merged[key] ??= []) as unknown[];
        if (!Array.isArray(target)) continue;
        if (isMain) origins.set([key], { file: shown, path: [key] });
        origins.setItems(key, target.length, val.length, shown);
        for (let i = 0; i < val.length; i++) target.push(val[i]);
      } else if (isMain) {
        merged[key] = val;
        origins.set([key], { file: shown, path: [key] });
      } else if (key === 'version') {
        continue;
      } else if (MAIN_ONLY.has(key)) {
        findings.push({
          ruleId: 'schema',
          message: `${q(key)} is only allowed in the main file: move it to ${q(display(stackMain(stack, abs)))}`,
          at: { span: keySpan(sources, shown, key) },
        });
      } else if (Object.hasOwn(merged, key)) {
        findings.push({
          ruleId: 'schema',
          message: `${q(key)} must be a ${MAP_SECTIONS.has(key) ? 'mapping' : 'list'} in every file`,
          at: { span: keySpan(sources, shown, key) },
        });
      } else {
        merged[key] = val;
        origins.set([key], { file: shown, path: [key] });
      }
    }
    const includes = obj['include'];
    if (includes === undefined) return;
    if (isMain) {
      merged['include'] = includes;
      origins.set(['include'], { file: shown, path: ['include'] });
    }
    if (!Array.isArray(includes)) return; // the schema reports it
    if (stack.length + 1 > LIMITS.maxIncludeDepth) {
      throw new Fatal(`${shown}: includes are nested more than ${LIMITS.maxIncludeDepth} deep; flatten them`);
    }
    for (const [i, inc] of includes.entries()) {
      if (typeof inc !== 'string') continue;
      const target = resolvePath(dirname(abs), inc);
      if (target === abs || stack.includes(target)) {
        const cycle = [...stack, abs, target].map(display).join(' -> ');
        throw new Fatal(`${shown}: include cycle ${cycle}; remove one of these includes`);
      }
      if (++includeCount > LIMITS.maxIncludes) {
        throw new Fatal(`${shown}: more than ${LIMITS.maxIncludes} included files; merge some of them`);
      }
      visit(target, [...stack, abs], { fatal: `${shown}: cannot include ${q(inc)}`, subject: `include ${q(inc)}`, at: { span: itemSpan(sources, shown, 'include', i) } });
    }
  };

  try {
    visit(mainAbs, [], { fatal: display(mainAbs), subject: 'file', main: true, at: { span: { file: display(mainAbs), start: 0, end: 0 } } });
    readMailboxFiles(merged, origins, sources, mailboxFiles, (shown) => absOf.get(shown) ?? mainAbs, display, readFile);
    const objects = countObjects(merged, [...mailboxFiles.values()].reduce((n, l) => n + l.length, 0));
    if (objects > LIMITS.maxObjects) {
      findings.push({
        ruleId: 'yaml-syntax',
        message: `the file holds ${objects} objects (domains, systems, policies, connectors, chains, contacts, tests, mailboxes, aliases and mailbox-file addresses), over the limit of ${LIMITS.maxObjects} that one run checks: lint parts of the organisation separately`,
        at: { span: { file: display(mainAbs), start: 0, end: 1 } },
      });
    }
  } catch (e) {
    if (e instanceof Fatal) return { config: undefined, sources, origins, mailboxFiles, findings, fatal: e.message, read };
    throw e;
  }
  const root = Object.hasOwn(merged, '\u0000root') ? merged['\u0000root'] : merged;
  const parsed = !findings.some((f) => f.ruleId === 'yaml-syntax' && 'span' in f.at && f.at.span.file === display(mainAbs));
  return {
    config: parsed ? (mainEmpty ? null : root) : undefined,
    sources,
    origins,
    mailboxFiles,
    findings,
    read,
  };
}

/**
 * The `yaml` parser's options. `merge: true`: the YAML 1.1 merge key `<<` (yaml.org/type/merge.html)
 * that hand-written files use with anchors (`<<: *defaults`), as docs/file-format.md says.
 */
const YAML_OPTIONS = { uniqueKeys: true, prettyErrors: false, merge: true } as const;

/** Files at least this large are parsed by the fast path first (see fastParse). */
const FAST_PATH_BYTES = 256 * 1024;
// An alias (`*name`) outside quotes: such files always take the `yaml` path with its alias limit.
const ALIAS = /(?:^|[\s[{,:-])\*[^\s,\]}"'*]/m;
// A merge key: js-yaml's core schema reads `<<` as an ordinary key, so such files take the `yaml` path too.
const MERGE_KEY = /(?:^|[\s[{,?-])<<\s*:/m;

/**
 * The `yaml` library keeps exact source ranges but parses about 1 MB/s; js-yaml is ~9x
 * faster. A large file without aliases and merge keys is parsed with js-yaml (YAML 1.2 core schema, which
 * also refuses duplicate keys), and its `yaml` Document is built lazily, only when a
 * finding must be located in it. Anything js-yaml refuses goes the `yaml` way, so the user
 * always gets the `yaml` library's findings.
 */
function fastParse(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.length < FAST_PATH_BYTES || ALIAS.test(text) || MERGE_KEY.test(text) || text.includes('\t') || /^(---|\.\.\.)\s/m.test(text.slice(1))) return { ok: false };
  try {
    return { ok: true, value: jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, json: false }) };
  } catch {
    return { ok: false };
  }
}

/**
 * The value of a chainmail file's text as the loader reads it (js-yaml for a large plain
 * file, else the `yaml` library), or undefined when it does not parse: for `plan --base`,
 * which finds the includes and mailbox files of a revision before loading it (issue 19: it
 * parsed 5.5 MB of contacts with the `yaml` library for that, 2 s at 100,000 recipients).
 * `ahead`: the value as {@link LoadFileOptions.parsedAhead} takes it, where the loader's fast
 * parser gave it (the loader would: it then does not parse the same text again).
 */
export function parseAhead(text: string): { value: unknown; ahead?: ParsedAhead } {
  // nested too deep: refused before any parser recurses into it, as the loader does
  if (nestingGuardOffset(text, NESTING_GUARD) !== -1) return { value: undefined };
  const fast = fastParse(text);
  if (fast.ok) return { value: fast.value, ahead: { text, value: fast.value } };
  try {
    const doc = parseDocument(text, YAML_OPTIONS);
    return { value: doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: LIMITS.maxAliasCount }) };
  } catch {
    return { value: undefined };
  }
}

/** A source whose `yaml` Document is parsed on first use (for locating findings). */
function lazySource(file: string, text: string): Source {
  let doc: Document.Parsed | undefined;
  const lines = lineCounterFor(text);
  return {
    file,
    text,
    lines,
    get doc(): Document.Parsed {
      doc ??= parseDocument(text, YAML_OPTIONS);
      return doc;
    },
  };
}

function stackMain(stack: string[], abs: string): string {
  return stack[0] ?? abs;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function notMapping(file: string): Finding {
  return {
    ruleId: 'schema',
    message: 'an included file must be a mapping with domains, systems, policies, connectors, chains, contacts or tests',
    at: { span: { file, start: 0, end: 1 } },
  };
}

/** The span of a key (`key`, or `key.sub`) in one file, for findings that paths cannot reach. */
function keySpan(sources: SourceStore, file: string, key: string, sub?: string): Span {
  type Pair = { key?: { value?: unknown; range?: [number, number, number] }; value?: { items?: Pair[] } };
  const doc = sources.get(file)?.doc;
  const contents = doc?.contents as { items?: Pair[] } | null | undefined;
  let pair = contents?.items?.find((p) => p.key?.value === key);
  if (sub !== undefined) pair = pair?.value?.items?.find((p) => p.key?.value === sub);
  const r = pair?.key?.range;
  return r ? { file, start: r[0], end: r[1] } : { file, start: 0, end: 1 };
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0] ?? message;
  const text = first.replace(/ at line \d+, column \d+:?$/, '').replace(/\.$/, '');
  const lower = text.charAt(0).toLowerCase() + text.slice(1);
  if (code === 'DUPLICATE_KEY') return `${lower}: keep one of them`;
  return lower;
}

/**
 * A directory snapshot (`chainmail import ldap`, docs/directory.md) holds only a system's
 * `mailboxes`, while the system itself is defined in another file: the two halves merge
 * when exactly one of them is `{ mailboxes }` alone and the other has no `mailboxes`.
 * Findings about the mailboxes then point into the snapshot.
 */
function mergeRecipients(systems: Record<string, unknown>, name: string, entry: unknown, origins: Origins, shown: string): boolean {
  const first = systems[name];
  const onlyMailboxes = (v: unknown): v is Record<string, unknown> => isPlainObject(v) && Object.keys(v).length === 1 && Array.isArray(v['mailboxes']);
  if (!isPlainObject(first) || !isPlainObject(entry)) return false;
  const prefix = ['systems', name];
  if (onlyMailboxes(entry) && !Object.hasOwn(first, 'mailboxes')) {
    first['mailboxes'] = entry['mailboxes'];
    origins.set([...prefix, 'mailboxes'], { file: shown, path: [...prefix, 'mailboxes'] });
    return true;
  }
  if (onlyMailboxes(first) && !Object.hasOwn(entry, 'mailboxes')) {
    const fragment = origins.resolve(prefix);
    systems[name] = { ...entry, mailboxes: first['mailboxes'] };
    origins.set(prefix, { file: shown, path: prefix });
    if (fragment) origins.set([...prefix, 'mailboxes'], { file: fragment.file, path: [...prefix, 'mailboxes'] });
    return true;
  }
  return false;
}

function readMailboxFiles(
  merged: Record<string, unknown>,
  origins: Origins,
  sources: SourceStore,
  out: Map<string, MailboxFileLine[]>,
  absOf: (shown: string) => string,
  display: (abs: string) => string,
  readFile: (abs: string, shown: string, maxBytes: number, named: Named) => string | undefined,
): void {
  const systems = merged['systems'];
  if (!isPlainObject(systems)) return;
  for (const [name, sys] of Object.entries(systems)) {
    if (!isPlainObject(sys) || !Array.isArray(sys['mailboxFiles'])) continue;
    const origin = origins.resolve(['systems', name]);
    const baseDir = dirname(absOf(origin?.file ?? ''));
    const lines: MailboxFileLine[] = [];
    for (const [i, rel] of sys['mailboxFiles'].entries()) {
      if (typeof rel !== 'string') continue;
      const abs = resolvePath(baseDir, rel);
      const shown = display(abs);
      const subject = `mailbox file ${q(rel)} of system ${q(name)}`;
      const text = readFile(abs, shown, LIMITS.maxMailboxFileBytes, { fatal: `${origin?.file ?? '?'}: ${subject}`, subject, at: { path: ['systems', name, 'mailboxFiles', i] } });
      if (text === undefined) continue;
      sources.add({ file: shown, text, lines: lineCounterFor(text) });
      let pos = 0;
      let nextHash = text.indexOf('#');
      while (pos <= text.length) {
        let nl = text.indexOf('\n', pos);
        if (nl === -1) nl = text.length;
        let start = pos;
        let end = nl;
        // the next '#' is searched again only once we pass it: linear in the file size
        if (nextHash !== -1 && nextHash < pos) nextHash = text.indexOf('#', pos);
        if (nextHash !== -1 && nextHash < end) end = nextHash;
        while (start < end && isSpace(text.charCodeAt(start))) start++;
        while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
        if (end > start) lines.push({ address: text.slice(start, end), span: { file: shown, start, end } });
        pos = nl + 1;
      }
    }
    out.set(name, lines);
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 0xfeff;
}

/** The span of item `index` of the list under the top-level `key` of one file. */
function itemSpan(sources: SourceStore, file: string, key: string, index: number): Span {
  type Node = { range?: [number, number, number]; items?: (Node & { key?: { value?: unknown }; value?: Node })[] };
  const contents = sources.get(file)?.doc?.contents as Node | null | undefined;
  const item = contents?.items?.find((p) => p.key?.value === key)?.value?.items?.[index];
  const r = item?.range;
  return r ? { file, start: r[0], end: r[1] } : { file, start: 0, end: 1 };
}
