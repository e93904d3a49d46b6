import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { analyze } from '../../src/analyze/analyze.js';
import type { Path } from '../../src/diagnostics/diagnostic.js';
import { loadModel, type LoadedModel } from '../../src/pipeline.js';

/**
 * House style, "Diagnostics": a schema error confines the damage as narrowly as it can. An
 * unknown key is reported and ignored and its object still analysed; a bad value is left
 * out, with its object only when the object cannot do without it; one run shows every
 * problem. The base is the schema rule's complete valid fixture, which has every section.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Cfg = any;

const BASE_TEXT = readFileSync(new URL('../../src/analyze/rules/schema/fixtures/valid/complete.yaml', import.meta.url), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'chainmail-schema-damage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;

function loadEdited(edit: (c: Cfg) => void): LoadedModel {
  const c = parse(BASE_TEXT) as Cfg;
  edit(c);
  const file = join(tmp, `${runs++}.yaml`);
  writeFileSync(file, stringify(c));
  return loadModel(file, { cwd: tmp });
}

/** Every finding of a run, schema and rules, as `ruleId path` (paths in the file's indexes). */
function findings(loaded: LoadedModel): string[] {
  const all = [...loaded.findings, ...(loaded.model ? analyze(loaded.model, new Set()) : [])];
  return all.map((f) => `${f.ruleId} ${'path' in f.at ? JSON.stringify(f.at.path) : 'span'}`);
}

const at = (ruleId: string, path: Path): string => `${ruleId} ${JSON.stringify(path)}`;

describe('an unknown key beside a real problem: both are reported in one run', () => {
  it.each<[string, (c: Cfg) => void, string[]]>([
    [
      'systems',
      (c) => {
        c.systems.exchange.gatewy = true;
        c.systems.exchange.mailboxes.push('not an address');
      },
      [at('schema', ['systems', 'exchange', 'gatewy']), at('invalid-address', ['systems', 'exchange', 'mailboxes', 2])],
    ],
    [
      'policies',
      (c) => {
        c.policies[3].defualt = true;
        c.policies[3].system = 'unixx';
      },
      [at('schema', ['policies', 3, 'defualt']), at('unknown-reference', ['policies', 3, 'system'])],
    ],
    [
      'connectors',
      (c) => {
        c.connectors[0].allowrelay = true;
        c.connectors[0].to = 'unixx';
      },
      [at('schema', ['connectors', 0, 'allowrelay']), at('unknown-reference', ['connectors', 0, 'to'])],
    ],
    [
      'chains',
      (c) => {
        c.chains[0].rejectUnkownAtGateway = true;
        c.chains[0].order = ['exchange', 'unixx'];
      },
      [at('schema', ['chains', 0, 'rejectUnkownAtGateway']), at('unknown-reference', ['chains', 0, 'order', 1])],
    ],
    [
      'contacts',
      (c) => {
        c.contacts[0].mailNicknme = 'x';
        c.contacts[0].proxyAddresses.push('not an address');
      },
      [at('schema', ['contacts', 0, 'mailNicknme']), at('invalid-address', ['contacts', 0, 'proxyAddresses', 1])],
    ],
    [
      'domains',
      (c) => {
        c.domains['spare.example'] = { descripton: 'nobody uses it' };
      },
      [at('schema', ['domains', 'spare.example', 'descripton']), at('unused-domain', ['domains', 'spare.example'])],
    ],
    [
      'tests',
      (c) => {
        c.tests[0].form = 'unix';
        c.tests[0].expect = { delivered: 'unix' };
      },
      [at('schema', ['tests', 0, 'form']), at('test-failed', ['tests', 0, 'expect'])],
    ],
    [
      'mailbox entries',
      (c) => {
        c.systems.exchange.mailboxes[1].adresses = [];
        c.systems.exchange.mailboxes[1].aliases.push('not an alias');
      },
      [at('schema', ['systems', 'exchange', 'mailboxes', 1, 'adresses']), at('invalid-address', ['systems', 'exchange', 'mailboxes', 1, 'aliases', 2])],
    ],
  ])('%s', (_section, edit, want) => {
    const loaded = loadEdited(edit);
    const got = findings(loaded);
    for (const w of want) expect(got).toContain(w);
    // the unknown key is the only schema finding: nothing else of its object was left out
    expect(got.filter((f) => f.startsWith('schema '))).toEqual([want[0]]);
  });
});

/** What is left of one object in the model, to check what was left out. */
type Probe = (l: LoadedModel) => unknown;
const system = (name: string): Probe => (l) => l.model?.systems.get(name);
const item = (section: 'policies' | 'connectors' | 'chains' | 'contacts' | 'tests', i: number): Probe => (l) => l.model?.[section].find((x) => x.path[1] === i);

describe('a required value that later stages cannot use leaves out its object, and lint still runs', () => {
  it.each<[string, (c: Cfg) => void, Path, Probe]>([
    ['systems: a host that is a number', (c) => (c.systems.unix.host = 3), ['systems', 'unix', 'host'], system('unix')],
    ['systems: no kind of system', (c) => (c.systems.unix.kind = 'postfx'), ['systems', 'unix', 'kind'], system('unix')],
    ['policies: a system that is a list', (c) => (c.policies[3].system = ['unix']), ['policies', 3, 'system'], item('policies', 3)],
    ['policies: every address space invalid', (c) => (c.policies[3].addresses = [{ space: 'example.com' }]), ['policies', 3, 'addresses', 0, 'space'], item('policies', 3)],
    ['connectors: a name that is a number', (c) => (c.connectors[1].name = 5), ['connectors', 1, 'name'], item('connectors', 1)],
    ['connectors: a target that is a number, and no smart hosts', (c) => (c.connectors[0].to = 5), ['connectors', 0, 'to'], item('connectors', 0)],
    ['chains: an order that is text', (c) => (c.chains[0].order = 'exchange, unix'), ['chains', 0, 'order'], item('chains', 0)],
    ['chains: one system of the order is not a name', (c) => (c.chains[0].order = ['exchange', 7]), ['chains', 0, 'order', 1], item('chains', 0)],
    ['contacts: a targetAddress that is a number', (c) => (c.contacts[0].targetAddress = 7), ['contacts', 0, 'targetAddress'], item('contacts', 0)],
    ['tests: a recipient that is a list', (c) => (c.tests[1].to = []), ['tests', 1, 'to'], item('tests', 1)],
    ['tests: two outcomes', (c) => (c.tests[1].expect = { delivered: 'unix', bounced: 'unix' }), ['tests', 1, 'expect'], item('tests', 1)],
  ])('%s', (_name, edit, path, probe) => {
    const loaded = loadEdited(edit);
    expect(loaded.model).toBeDefined();
    expect(probe(loaded)).toBeUndefined();
    const got = findings(loaded);
    expect(got).toContain(at('schema', path));
    // the rules ran over the rest without throwing, and say nothing about what was left out
    expect(got.filter((f) => f.startsWith('unknown-reference ') || f.startsWith('undeclared-domain '))).toEqual([]);
  });

  it('a domain whose declaration is not a mapping is left out, and its uses are not "undeclared"', () => {
    const loaded = loadEdited((c) => (c.domains['example.com'] = 'shared'));
    expect(loaded.model?.domains.has('example.com')).toBe(false);
    expect([...(loaded.model?.rejected.domains ?? [])]).toEqual(['example.com']);
    // backscatter-risk: the Exchange gateway cannot validate the shared domain (issue 14)
    expect(findings(loaded).filter((f) => !f.startsWith('schema ') && !f.startsWith('backscatter-risk '))).toEqual([]);
  });

  it('a system left out is named in model.rejected, so references to it are not "unknown"', () => {
    const loaded = loadEdited((c) => (c.systems.unix.host = 3));
    expect([...(loaded.model?.rejected.systems ?? [])]).toEqual(['unix']);
  });
});

describe('an optional value or a list item that fails is left out by itself', () => {
  it('a port written as text: the system stays, on the default port', () => {
    const loaded = loadEdited((c) => (c.systems.exchange.port = 'twenty-five'));
    expect(loaded.model?.systems.get('exchange')).toMatchObject({ port: 25, gateway: true });
    expect(findings(loaded)).toContain(at('schema', ['systems', 'exchange', 'port']));
  });

  it('a mailbox entry that is a number: the other mailboxes keep their paths', () => {
    const loaded = loadEdited((c) => c.systems.unix.mailboxes.splice(1, 0, 42));
    const paths = loaded.model?.systems.get('unix')?.mailboxes.map((m) => ('path' in m.at ? m.at.path : []));
    expect(paths).toEqual([
      ['systems', 'unix', 'mailboxes', 0],
      ['systems', 'unix', 'mailboxes', 2],
    ]);
  });

  it('an alias that is a number: the mailbox stays with its other aliases', () => {
    const loaded = loadEdited((c) => c.systems.exchange.mailboxes[1].aliases.push(3));
    const bob = loaded.model?.systems.get('exchange')?.mailboxes[1];
    expect(bob?.address.display).toBe('bob@example.com');
    expect(bob?.aliases.map((a) => a.address.display)).toEqual(['robert@example.com', 'bob@example.local']);
    expect(findings(loaded)).toContain(at('schema', ['systems', 'exchange', 'mailboxes', 1, 'aliases', 2]));
  });

  it('a proxy address that is too long: the contact stays without it, and its rules still run', () => {
    const loaded = loadEdited((c) => {
      c.contacts[0].proxyAddresses = [`${'x'.repeat(600)}@xo.one`, 'SMTP:internetuser@xo.one'];
    });
    const contact = loaded.model?.contacts[0];
    expect(contact?.proxyAddresses.map((p) => p.at)).toEqual([{ path: ['contacts', 0, 'proxyAddresses', 1] }]);
    expect(findings(loaded)).toEqual(expect.arrayContaining([at('schema', ['contacts', 0, 'proxyAddresses', 0]), at('contact-primary-mismatch', ['contacts', 0, 'proxyAddresses', 1])]));
  });

  it('a lint severity that is not one: only that setting is left out', () => {
    const loaded = loadEdited((c) => (c.lint = { rules: { 'unused-domain': 'warn', 'hop-limit': 'off' } }));
    expect(loaded.model?.lintRules).toEqual({ 'hop-limit': 'off' });
  });

  it('an invalid system name: the other systems stay', () => {
    const loaded = loadEdited((c) => (c.systems['a b'] = { kind: 'postfix', host: 'x.example.com' }));
    expect([...(loaded.model?.systems.keys() ?? [])]).toEqual(['exchange', 'unix']);
    expect(findings(loaded)).toContain(at('schema', ['systems', 'a b']));
  });

  it('a test status of the wrong form: the test stays and still runs', () => {
    const loaded = loadEdited((c) => (c.tests[0].expect = { delivered: 'unix', status: '250' }));
    expect(loaded.model?.tests[0]).toMatchObject({ path: ['tests', 0], expect: { kind: 'delivered', target: 'unix' } });
    expect(findings(loaded)).toEqual(expect.arrayContaining([at('schema', ['tests', 0, 'expect', 'status']), at('test-failed', ['tests', 0, 'expect'])]));
  });

  it('null items in the DNS lists (sends, mx, published, dmarc reports): each left out by itself, no crash', () => {
    // found by schema-mutation.property.test.ts: a hole in sends.ip reached the normalizer
    const loaded = loadEdited((c) => {
      c.systems.exchange.sends = { domains: ['xo.one', null], ip: [null, '192.0.2.1'], spf: [null], dkim: [null, 'sel1'] };
      c.domains['xo.one'] = { mx: [null, 'mail.xo.one'], dmarc: { policy: 'none', rua: [null] }, published: { mx: [null] } };
    });
    const sends = loaded.model?.systems.get('exchange')?.sends;
    expect(sends?.ip.map((x) => [x.value, x.path])).toEqual([['192.0.2.1', ['systems', 'exchange', 'sends', 'ip', 1]]]);
    expect(sends?.dkim.map((x) => x.selector)).toEqual(['sel1']);
    expect(sends?.domains.map((x) => x.path)).toEqual([['systems', 'exchange', 'sends', 'domains', 0]]);
    expect(findings(loaded)).toContain(at('schema', ['systems', 'exchange', 'sends', 'ip', 0]));
  });
});
