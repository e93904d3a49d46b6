import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lint } from '../../src/analyze/lint.js';
import { loadModel } from '../../src/pipeline.js';
import { route } from '../../src/route/route.js';

/**
 * YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`; YAML 1.1 merge type) in chainmail files
 * (docs/file-format.md "YAML anchors and merge keys"): merged as YAML says, findings placed
 * where the value is written (in the anchor, or beside the `<<`), one finding per problem in
 * an anchor, and no way around the alias limit.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chainmail-merge-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A gateway and four Postfix systems, each with a domain of its own; `systems` is their YAML. */
const file = (systems: string): string => `version: 1
name: merge keys
domains:
  example.com: {}
  a.example: {}
  b.example: {}
  c.example: {}
  d.example: {}
systems:
  gw:
    kind: relay
    host: "[127.0.0.1]:2525"
    gateway: true
    mailboxes: [alice@example.com]
${systems}
policies:
  - { name: gw, system: gw, addresses: [{ space: "@example.com", primary: true, authoritative: true }] }
  - { name: a, system: mx-a, addresses: [{ space: "@a.example", primary: true, authoritative: true }] }
  - { name: b, system: mx-b, addresses: [{ space: "@b.example", primary: true, authoritative: true }] }
  - { name: c, system: mx-c, addresses: [{ space: "@c.example", primary: true, authoritative: true }] }
  - { name: d, system: mx-d, addresses: [{ space: "@d.example", primary: true, authoritative: true }] }
connectors:
  - { name: to a, system: gw, addressSpaces: [a.example], to: mx-a }
  - { name: to b, system: gw, addressSpaces: [b.example], to: mx-b }
  - { name: to c, system: gw, addressSpaces: [c.example], to: mx-c }
  - { name: to d, system: gw, addressSpaces: [d.example], to: mx-d }
`;

/** mx-a is the template (anchor `mta`); mx-b, mx-c and mx-d merge it. `anchorExtra` goes into the anchor, `extra[i]` beside the `<<` of system i. */
const templated = (anchorExtra = '', extra: readonly string[] = ['', '', '']): string =>
  file(`  mx-a: &mta
    kind: postfix
    host: "[10.0.0.1]"
    hopLimit: 30
    maxMessageSize: 10240000
${anchorExtra}    mailboxes: [u@a.example]
  mx-b:
    <<: *mta
    host: "[10.0.0.2]"
${extra[0]}    mailboxes: [u@b.example]
  mx-c:
    <<: *mta
    host: "[10.0.0.3]"
${extra[1]}    mailboxes: [u@c.example]
  mx-d:
    <<: *mta
    host: "[10.0.0.4]"
${extra[2]}    mailboxes: [u@d.example]`);

const expanded = file(
  ['a', 'b', 'c', 'd']
    .map((x, i) => `  mx-${x}:\n    kind: postfix\n    host: "[10.0.0.${i + 1}]"\n    hopLimit: 30\n    maxMessageSize: 10240000\n    mailboxes: [u@${x}.example]`)
    .join('\n'),
);

/** 1-based line of the first line of `text` that contains `needle` (after `from`). */
function lineOf(text: string, needle: string, from = ''): number {
  const start = from ? text.indexOf(from) : 0;
  return text.slice(0, text.indexOf(needle, start)).split('\n').length;
}

const PROBES = ['u@a.example', 'u@b.example', 'u@c.example', 'u@d.example', 'nobody@d.example', 'alice@example.com', 'x@elsewhere.test'];

describe('merge keys: semantics', () => {
  it('a system template merged into three systems lints clean and routes like the expanded file', () => {
    const m = loadModel(write('merged.yaml', templated()), { cwd: dir });
    const e = loadModel(write('expanded.yaml', expanded), { cwd: dir });
    expect(lint(m).diagnostics).toEqual([]);
    expect(lint(e).diagnostics).toEqual([]);
    for (const name of ['mx-a', 'mx-b', 'mx-c', 'mx-d']) expect(m.model?.systems.get(name)).toEqual(e.model?.systems.get(name));
    expect(route(m.model!, PROBES)).toEqual(route(e.model!, PROBES));
  });

  it.each([
    ['a key beside "<<" wins over the merged one', ['    hopLimit: 10\n', '', ''], { 'mx-a': 30, 'mx-b': 10, 'mx-c': 30 }],
    ['a key beside one "<<" changes only that system', ['', '    hopLimit: 12\n', ''], { 'mx-b': 30, 'mx-c': 12, 'mx-d': 30 }],
  ])('%s', (_n, extra, hopLimits) => {
    const m = loadModel(write('f.yaml', templated('', extra)), { cwd: dir });
    for (const [name, limit] of Object.entries(hopLimits)) expect(m.model?.systems.get(name)?.hopLimit, name).toBe(limit);
  });

  it('a key written before "<<" still wins; of a list of merged mappings the earlier wins', () => {
    const text = file(`  mx-a: &mta { kind: postfix, host: "[10.0.0.1]", hopLimit: 30, mailboxes: [u@a.example] }
  mx-b: &small { kind: postfix, host: "[10.0.0.2]", hopLimit: 10, maxMessageSize: 1000000, mailboxes: [u@b.example] }
  mx-c: { hopLimit: 20, <<: *mta, host: "[10.0.0.3]", mailboxes: [u@c.example] }
  mx-d: { <<: [*small, *mta], host: "[10.0.0.4]", mailboxes: [u@d.example] }`);
    const m = loadModel(write('f.yaml', text), { cwd: dir });
    expect(lint(m).diagnostics).toEqual([]);
    expect(m.model?.systems.get('mx-c')?.hopLimit).toBe(20);
    expect(m.model?.systems.get('mx-d')).toMatchObject({ hopLimit: 10, maxMessageSize: 1_000_000, host: { raw: '[10.0.0.4]' } });
  });
});

describe('merge keys: where findings point', () => {
  it('a bad value inside the anchor: one finding at the anchor line, the systems that merge it as related places', () => {
    const text = templated('    port: many\n');
    const r = lint(loadModel(write('f.yaml', text), { cwd: dir }));
    const port = r.diagnostics.filter((d) => d.ruleId === 'schema' && /port/.test(d.message));
    expect(port).toHaveLength(1);
    expect(port[0]).toMatchObject({ line: lineOf(text, 'port: many') });
    expect(port[0]!.related.map((x) => x.line)).toEqual([lineOf(text, '<<: *mta', 'mx-b:'), lineOf(text, '<<: *mta', 'mx-c:'), lineOf(text, '<<: *mta', 'mx-d:')]);
  });

  it('an unknown key inside the anchor is reported once, at the anchor', () => {
    const text = templated('    bogus: 1\n');
    const r = lint(loadModel(write('f.yaml', text), { cwd: dir }));
    const unknown = r.diagnostics.filter((d) => /unknown key "bogus"/.test(d.message));
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ line: lineOf(text, 'bogus: 1'), column: 5 });
    expect(r.diagnostics).toHaveLength(1);
  });

  it('a problem in a key written beside "<<" points at that key, in its own system', () => {
    const text = templated('', ['', '    bogus: 1\n', '    port: many\n']);
    const r = lint(loadModel(write('f.yaml', text), { cwd: dir }));
    expect(r.diagnostics.map((d) => [d.line, d.related.length])).toEqual([
      [lineOf(text, 'bogus: 1'), 0],
      [lineOf(text, 'port: many'), 0],
    ]);
    expect(r.diagnostics[0]?.message).toMatch(/unknown key "bogus" in systems\.mx-c/);
  });

  it.each([
    ['a number', '<<: 5', /not the scalar "5"/],
    ['an alias of a scalar', '<<: *name', /not \*name, the scalar "merge keys"/],
    ['a list with a scalar', '<<: [*mta, x]', /not the scalar "x"/],
  ])('"<<" of %s is a schema finding at the value; the rest of the system is still read', (_n, merge, message) => {
    const text = file(`  mx-a: &mta { kind: postfix, host: "[10.0.0.1]", mailboxes: [u@a.example] }
  mx-b: { kind: postfix, host: "[10.0.0.2]", mailboxes: [u@b.example] }
  mx-c: { kind: postfix, host: "[10.0.0.3]", mailboxes: [u@c.example] }
  mx-d:
    ${merge}
    kind: postfix
    host: "[10.0.0.4]"
    mailboxes: [u@d.example]`).replace('name: merge keys', 'name: &name merge keys');
    const loaded = loadModel(write('f.yaml', text), { cwd: dir });
    const r = lint(loaded);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ ruleId: 'schema', line: lineOf(text, merge), message: expect.stringMatching(message) });
    expect(r.diagnostics[0]?.message).toMatch(/^the merge key "<<" takes a mapping/);
    expect(loaded.model?.systems.get('mx-d')?.host.raw).toBe('[10.0.0.4]');
  });
});

describe('merge keys: limits', () => {
  it('a merge-key bomb is answered with the alias limit, not expanded', () => {
    const lines = ['l0: &l0 {a: 1, b: 2}'];
    for (let i = 1; i < 40; i++) lines.push(`l${i}: &l${i} {<<: [*l${i - 1}, *l${i - 1}], p: {<<: *l${i - 1}}, q: {<<: *l${i - 1}}}`);
    const r = lint(loadModel(write('bomb.yaml', `${lines.join('\n')}\n`), { cwd: dir }));
    expect(r.diagnostics.map((d) => d.ruleId)).toEqual(['yaml-syntax']);
    expect(r.diagnostics[0]?.message).toMatch(/too many alias expansions/);
  });

  it('a large file with an inline "<<" (no alias) merges it as the yaml path does, not as a key "<<"', () => {
    const boxes = Array.from({ length: 12_000 }, (_, i) => `      - user${i}@a.example`).join('\n');
    const text = templated().replace('    mailboxes: [u@a.example]', `    mailboxes:\n${boxes}`).replace('  mx-d:\n    <<: *mta\n', '  mx-d:\n    <<: { kind: postfix, hopLimit: 7 }\n');
    expect(text.length).toBeGreaterThan(256 * 1024);
    const noAlias = text.replace(/&mta|<<: \*mta/g, (m) => (m === '&mta' ? '' : '<<: { kind: postfix, hopLimit: 30, maxMessageSize: 10240000 }'));
    const m = loadModel(write('big.yaml', noAlias), { cwd: dir });
    expect(lint(m).diagnostics).toEqual([]);
    expect(m.model?.systems.get('mx-d')?.hopLimit).toBe(7);
    expect(m.model?.systems.get('mx-b')?.hopLimit).toBe(30);
  });
});
