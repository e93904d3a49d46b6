import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Model } from '../../src/model/model.js';
import { loadModel } from '../../src/pipeline.js';
import { buildGraph, dotString, renderDot, renderMermaid, type Graph } from '../../src/route/graph.js';
import { repoRoot } from '../support/fixtures.js';
import { dotSyntaxError } from './dot-syntax.js';

function model(file: string): Model {
  const m = loadModel(file, { cwd: repoRoot }).model;
  if (!m) throw new Error(`${file}: no model`);
  return m;
}

function hasDot(): boolean {
  try {
    execFileSync('dot', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const DOT = hasDot();

/** The real Graphviz when installed, else the structural parser (the reason is printed once). */
function checkDot(text: string): void {
  if (DOT) {
    execFileSync('dot', ['-Tsvg', '-o', '/dev/null'], { input: text });
    return;
  }
  expect(dotSyntaxError(text)).toBeUndefined();
}
if (!DOT) console.log('graph.test: Graphviz "dot" is not installed; DOT output is checked structurally (test/routing/dot-syntax.ts)');

const ID = /^[A-Za-z][A-Za-z0-9_]*$/;
const NODE = /^ {2}([A-Za-z0-9_]+)(\(\(|\(\[|\[|\()"([^"]*)"(\)\)|\]\)|\]|\))$/;
const EDGE = /^ {2}([A-Za-z0-9_]+) (-->|==>|-\.->|-\.-)\|"([^"]*)"\| ([A-Za-z0-9_]+)$/;
const CLOSE: Readonly<Record<string, string>> = { '((': '))', '([': '])', '[': ']', '(': ')' };

/** What GitHub's Mermaid needs from us: the header, quoted labels without raw quotes, known ids. */
function checkMermaid(text: string): void {
  const lines = text.trimEnd().split('\n');
  expect(lines[0]).toBe('flowchart LR');
  const ids = new Set<string>();
  for (const line of lines.slice(1)) {
    const node = NODE.exec(line);
    if (node) {
      expect(CLOSE[node[2] ?? ''], line).toBe(node[4]);
      ids.add(node[1] ?? '');
      continue;
    }
    const edge = EDGE.exec(line);
    if (edge) {
      expect(ids.has(edge[1] ?? ''), `unknown node in ${line}`).toBe(true);
      expect(ids.has(edge[4] ?? ''), `unknown node in ${line}`).toBe(true);
      continue;
    }
    expect(line, 'not a node, an edge, a comment or a style line').toMatch(/^ {2}(%% .*|classDef \w+ [^;]+|class [\w,]+ \w+|linkStyle \d+ [^;]+)$/);
  }
}

const EXAMPLES = ['examples/method1/chainmail.yaml', 'examples/method2/chainmail.yaml', 'examples/forests/chainmail.yaml', 'examples/idn-chain/chainmail.yaml', 'test/fixtures/routing/loop.yaml'];

describe('chainmail graph', () => {
  it('method 1 as Mermaid (golden)', async () => {
    const text = renderMermaid(buildGraph(model('examples/method1/chainmail.yaml')));
    checkMermaid(text);
    await expect(text).toMatchFileSnapshot('__golden__/method1.mmd');
  });

  it('method 1 as DOT (golden)', async () => {
    const text = renderDot(buildGraph(model('examples/method1/chainmail.yaml')));
    checkDot(text);
    await expect(text).toMatchFileSnapshot('__golden__/method1.dot');
  });

  it.each(EXAMPLES)('%s renders valid Mermaid and DOT', (file) => {
    const g = buildGraph(model(file));
    for (const n of g.nodes) expect(n.id).toMatch(ID);
    expect(new Set(g.nodes.map((n) => n.id)).size).toBe(g.nodes.length);
    checkMermaid(renderMermaid(g));
    checkDot(renderDot(g));
  });

  it('draws the internet, the gateway and the chain edge of method 1', () => {
    const g = buildGraph(model('examples/method1/chainmail.yaml'));
    expect(g.nodes.find((n) => n.id === 'sys_exchange')).toMatchObject({ gateway: true, lines: ['exchange (gateway)', 'exchange · mail.example.com', 'authoritative: example.local'] });
    expect(g.edges).toContainEqual({ from: 'internet', to: 'sys_exchange', kind: 'mx', label: 'inbound: example.com, example.local' });
    expect(g.edges).toContainEqual({ from: 'sys_exchange', to: 'sys_unix', kind: 'forward', label: 'example.com' });
  });

  it('draws forwardUnresolvedTo as an "unresolved" edge back to the gateway', () => {
    const g = buildGraph(model('test/fixtures/routing/loop.yaml'));
    expect(g.edges).toContainEqual({ from: 'sys_unix', to: 'sys_exchange', kind: 'unresolved', label: 'unresolved' });
    expect(renderMermaid(g)).toContain('sys_unix -.->|"unresolved"| sys_exchange');
    expect(renderDot(g)).toMatch(/sys_unix -> sys_exchange \[label="unresolved", style=dashed/);
  });

  it('draws the reverse path: the recipients a system forwards to the peer that hosts them, from the tables', () => {
    const m = model('examples/method1/chainmail.yaml');
    const g = buildGraph(m);
    const hosted = g.edges.filter((e) => e.kind === 'hosted');
    // unix accepts example.com but hosts none of exchange's mailboxes: its transport sends them back
    const exchange = m.systems.get('exchange');
    if (!exchange) throw new Error('no exchange');
    // alice, bob and robert are in example.com, which unix accepts; bob@example.local is not
    const inShared = (mb: readonly (typeof exchange.mailboxes)[number][]): number =>
      mb.flatMap((b) => [b, ...b.aliases]).filter((a) => a.address.domain.ascii === 'example.com').length;
    const n = inShared(exchange.mailboxes);
    expect(n).toBe(3);
    expect(hosted).toEqual([{ from: 'sys_unix', to: 'sys_exchange', kind: 'hosted', label: `hosted there: ${n} recipients (example.com)` }]);
    // alice removed from exchange: one fewer in the label, counted from the tables, not a constant
    const systems = new Map(m.systems).set('exchange', { ...exchange, mailboxes: exchange.mailboxes.slice(1) });
    const fewer = buildGraph({ ...m, systems });
    expect(fewer.edges.filter((e) => e.kind === 'hosted').map((e) => e.label)).toEqual([`hosted there: ${inShared(exchange.mailboxes.slice(1))} recipients (example.com)`]);
    expect(renderDot(g)).toMatch(/sys_unix -> sys_exchange \[label="hosted there: [^"]*", color="#3366cc"/);
  });

  it('draws forwardUnresolvedTo written as a host where route forwards: the system at that host and port', () => {
    // the host in another case and with the default port: the routing tables parse host and
    // port (systemAt), so `chainmail route` forwards to exchange; graph must draw the same
    const m = model('test/fixtures/routing/loop.yaml');
    const unix = m.systems.get('unix');
    if (!unix) throw new Error('no unix');
    const systems = new Map(m.systems).set('unix', { ...unix, forwardUnresolvedTo: 'MAIL.Example.com:25' });
    const g = buildGraph({ ...m, systems });
    expect(g.edges).toContainEqual({ from: 'sys_unix', to: 'sys_exchange', kind: 'unresolved', label: 'unresolved' });
    expect(g.nodes.filter((n) => n.kind === 'host')).toEqual([]);
  });

  it('draws smart hosts outside the file and contacts per target domain (method 2)', () => {
    const g = buildGraph(model('examples/method2/chainmail.yaml'));
    const host = g.nodes.find((n) => n.kind === 'host');
    expect(host?.lines[1]).toBe('outside this file');
    expect(g.edges).toContainEqual(expect.objectContaining({ from: 'sys_exchange', to: host?.id, kind: 'forward', label: 'remote.domain' }));
    const contacts = g.nodes.filter((n) => n.kind === 'contacts');
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.lines[0]).toMatch(/^\d+ contacts -> remote\.domain$/);
    expect(contacts[0]?.lines[1]).toContain('Internet User');
  });

  it('shows IDN domains in both forms and Japanese contact names', () => {
    const g = buildGraph(model('examples/idn-chain/chainmail.yaml'));
    expect(g.edges.find((e) => e.from === 'sys_exchange' && e.to === 'sys_relay')?.label).toBe('example.jp, 例え.jp (xn--r8jz45g.jp)');
    expect(g.nodes.find((n) => n.kind === 'contacts')?.lines.join(' ')).toContain('山田 太郎');
  });

  it('draws a chain step without a connector as a dashed "no connector" edge', () => {
    const m = model('examples/method1/chainmail.yaml');
    const g = buildGraph({ ...m, connectors: [] });
    expect(g.edges).toContainEqual({ from: 'sys_exchange', to: 'sys_unix', kind: 'chain', label: 'chain "example.com shared": example.com (no connector)' });
  });

  const nasty: Graph = {
    title: 'a "title"\nwith a newline',
    nodes: [
      { id: 'internet', kind: 'internet', lines: ['internet'] },
      { id: 'sys_a', kind: 'system', lines: ['he said "hi" <b>bold</b> & #1 `code`', 'back\\slash'] },
      { id: 'host_b', kind: 'host', lines: ['[192.0.2.1]:25'] },
    ],
    edges: [
      { from: 'internet', to: 'sys_a', kind: 'mx', label: 'quote " and ]|pipe' },
      { from: 'sys_a', to: 'host_b', kind: 'unresolved', label: 'unresolved' },
    ],
  };

  it('escapes quotes, HTML and "#" in Mermaid labels with entity codes', () => {
    const text = renderMermaid(nasty);
    checkMermaid(text);
    expect(text).toContain('sys_a["he said #quot;hi#quot; #lt;b#gt;bold#lt;/b#gt; #amp; #35;1 #96;code#96;<br/>back\\slash"]');
    expect(text).toContain('internet ==>|"quote #quot; and ]|pipe"| sys_a');
    expect(text).toContain('linkStyle 1 stroke:#d33');
  });

  it('escapes backslashes, quotes and newlines in DOT strings', () => {
    expect(dotString('a "b" \\ c\nd')).toBe('"a \\"b\\" \\\\ c\\nd"');
    const text = renderDot(nasty);
    checkDot(text);
    expect(text.split('\n')[0]).toBe('// a "title" with a newline (generated by chainmail graph)');
  });

  it.each([
    ['digraph { a -> b [label="x"]; }', undefined],
    ['digraph { a -> b [label="x] }', 'unterminated string'],
    ['digraph { a -> }', 'missing node'],
    ['digraph { a [label="x" }', 'unclosed attribute list'],
    ['digraph { a -- b }', 'undirected edge in a digraph'],
    ['digraph { a -> b', 'missing brace'],
  ])('the structural DOT check accepts good and rejects broken input: %s', (text, problem) => {
    if (problem === undefined) expect(dotSyntaxError(text)).toBeUndefined();
    else expect(dotSyntaxError(text), problem).toBeDefined();
  });
});
