import { afterAll, describe, expect, it } from 'vitest';
import { compile, CompileError } from '../../src/compile/compile.js';
import { postconfCheck, postmapCheck, postmapQuery } from '../support/postfix.js';
import { requireTool } from '../support/tools.js';
import { addressKey, mapEntries, relayValue } from './support/oracles.js';
import { baseConfig, cleanup, loadConfig } from './support/org.js';
import { parseMainCf } from './support/parsers.js';
import { roundTrip, summary } from './support/roundtrip.js';

/**
 * Postfix maps and main.cf under hostile values. A postmap(1) source file has no quoting
 * and no escape: a key cannot hold a blank, a line break, or start with "#". So every value
 * is either refused (by lint, or by the Postfix target with a clear error when the address
 * is valid SMTP but no map can hold it, such as a quoted local part) or written so that the
 * real postmap reads exactly one key and one value per line.
 */

afterAll(cleanup);
const postmap = requireTool('postmap');
const postconf = requireTool('postconf');

// [local part, outcome]: outcome as support/roundtrip.ts summary() prints it
const LOCAL_PARTS: [string, string][] = [
  ['plain', 'ok'],
  ["o'brien+tag", 'ok'],
  ['a#b', 'ok'],
  ['a=b', 'ok'],
  ['{x}|~', 'ok'],
  ['山田', 'ok'],
  ['#team', 'ok, postfix refused'],
  ['"john doe"', 'ok, postfix refused'],
  ['"a,b"', 'ok, postfix refused'],
  ['"a#b"', 'ok, postfix refused'],
  ['john doe', 'refused: invalid-address'],
  ['a\tb', 'refused: invalid-address'],
  ['a\nb', 'refused: invalid-address'],
  ['a\rb', 'refused: invalid-address'],
  ['evil\nroot@example.com OK\nx', 'refused: invalid-address'],
  ['"a\nb"', 'refused: invalid-address'],
  ['a,b', 'refused: invalid-address'],
  ['\ud800', 'refused: yaml-syntax'],
];

const ADDRESS_FIELDS = [
  ['mailbox local part', 'unix/postfix/transport', 'example.com'],
  ['alias local part', 'unix/postfix/virtual', 'example.com'],
  ['proxyAddress local part', 'exchange/postfix/virtual', 'xo.one'],
] as const;

describe('postmap keys: addresses', () => {
  describe.each(ADDRESS_FIELDS)('%s', (field, map, domain) => {
    it.each(LOCAL_PARTS)('%j: %s', async (local, outcome) => {
      const o = roundTrip({ [field]: local });
      expect(summary(o)).toBe(outcome);
      if (o.kind !== 'ok') return;
      if (o.postfixRefused) {
        // a clear error that names the value
        expect(o.postfixRefused).toContain(JSON.stringify(`${local}@${domain}`).slice(1, -1));
        return;
      }
      const file = o.built.files.find((f) => f.path === map);
      const key = addressKey(`${local}@${domain}`);
      expect(mapEntries(o.built.files, map).has(key), `${map} has ${key}`).toBe(true);
      if (!postmap || !file) return;
      expect(await postmapQuery({ name: map.split('/').pop() ?? 'map', content: file.content }, key)).toBe(mapEntries(o.built.files, map).get(key));
      expect(await postmapCheck({ name: 'map', content: file.content })).toMatchObject({ code: 0, warnings: [], errors: [] });
    });
  });

  // a value may start with "#" (only a line's first field can start a comment)
  const TARGETS = LOCAL_PARTS.map(([l, o]): [string, string] => [l, l === '#team' ? 'ok' : o]);
  it.each(TARGETS)('targetAddress local part %j: %s', (local, outcome) => {
    expect(summary(roundTrip({ 'targetAddress local part': local }))).toBe(outcome);
  });
});

describe('transport values: localTransport', () => {
  it.each([
    ['lmtp:unix:private/dovecot-lmtp', 'ok'],
    ['virtual:', 'ok'],
    ['smtp:[10.0.0.1]:25 # not a comment', 'ok'],
    ['local:a b', 'ok'],
    ['local:#x', 'ok'],
    // valid in the schema, impossible in transport(5): the build says why
    ['local', 'ok, postfix refused'],
    [' local:', 'ok, postfix refused'],
    ['local:\nevil@example.com local:', 'refused: schema'],
    ['local:\r', 'refused: schema'],
    ['', 'refused: schema'],
  ])('%j: %s', async (value, outcome) => {
    const o = roundTrip({ localTransport: value });
    expect(summary(o)).toBe(outcome);
    if (o.kind !== 'ok' || o.postfixRefused || !postmap) return;
    const file = o.built.files.find((f) => f.path === 'unix/postfix/transport');
    expect(await postmapQuery({ name: 'transport', content: file?.content ?? '' }, 'carol@example.com')).toBe(value);
  });
});

describe('transport values: hosts and domains', () => {
  it.each([
    ['[192.0.2.7]', 'ok'],
    ['[192.0.2.7]:2525', 'ok'],
    ['mail.EXAMPLE.net', 'ok'],
    ['例え.jp:2525', 'ok'],
    ['[2001:db8::25]', 'ok'],
    ['[IPv6:2001:db8::25]:587', 'ok'],
    ['mail example.net', 'refused: invalid-address'],
    ['[192.0.2.7]\nevil.example OK', 'refused: invalid-address'],
    ['#mail.example.net', 'refused: invalid-address'],
    ['[192.0.2.7] x', 'refused: invalid-address'],
    ['mail.example.net:99999', 'refused: invalid-address'],
  ])('smart host %j: %s', async (host, outcome) => {
    const o = roundTrip({ 'smart host': host });
    expect(summary(o)).toBe(outcome);
    if (o.kind !== 'ok' || !postmap) return;
    const file = o.built.files.find((f) => f.path === 'exchange/postfix/transport');
    expect(await postmapQuery({ name: 'transport', content: file?.content ?? '' }, 'remote.domain')).toBe(relayValue(host));
  });

  it.each([
    ['例え.jp', 'ok'],
    ['EXTRA.Example', 'ok'],
    ['bücher.example.', 'ok'],
    ['ex ample.org', 'refused: invalid-address'],
    ['#x.example', 'refused: invalid-address'],
    ['x.example\nevil.example', 'refused: invalid-address'],
    ['x.example OK', 'refused: invalid-address'],
    ['[192.0.2.1]', 'refused: invalid-address'],
  ])('domain %j: %s', (domain, outcome) => {
    expect(summary(roundTrip({ domain }))).toBe(outcome);
  });
});

describe('main.cf', () => {
  /** The base organisation with a "*" connector on the Postfix system (relayhost) named `name` through `host`. */
  function withRelayhost(name: string, host: string): ReturnType<typeof loadConfig> {
    const c = baseConfig();
    c.connectors.push({ name, system: 'unix', addressSpaces: ['*'], smartHosts: [host], allowRelay: false });
    return loadConfig(c);
  }

  it.each([
    ['Internet\n# evil\nrelayhost = [203.0.113.66]', '[192.0.2.9]:2525', 'refused: schema'],
    ['Internet #1 ; $mydomain', '[192.0.2.9]:2525', 'ok'],
    ['Internet \u2028 relayhost = [203.0.113.66]', 'mx.example.net', 'ok'],
    ['Internet', '[192.0.2.9]\nrelayhost = [203.0.113.66]', 'refused: invalid-address'],
    ['Internet', 'mx.example.net,[203.0.113.66]', 'refused: invalid-address'],
  ])('a "*" connector %j through %j: %s; relayhost is exactly its next hop', async (name, host, outcome) => {
    const l = withRelayhost(name, host);
    const errors = [...new Set(l.result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.ruleId))];
    expect(errors.length ? `refused: ${errors.join(', ')}` : 'ok').toBe(outcome);
    if (errors.length || !l.model) return;
    const cf = String(compile(l.model, { targets: ['postfix'] }).find((f) => f.path === 'unix/postfix/main.cf')?.content);
    const params = parseMainCf(cf);
    expect(params.get('relayhost')).toBe(relayValue(host).slice('relay:'.length));
    if (!postconf) return;
    const r = await postconfCheck(cf);
    expect(r).toMatchObject({ code: 0, warnings: [], errors: [] });
    const effective = new Map(r.effective.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(' = ')), l.slice(l.indexOf(' = ') + 3)]));
    expect(effective.get('relayhost')).toBe(params.get('relayhost'));
    // postconf -n leaves out what equals the default (luser_relay =)
    for (const [k, v] of params) if (v !== '') expect(effective.get(k), k).toBe(v);
  }, 60_000);

  // Regression test (fixed in compilePostfix). Was: (postfix target) the
  // --postfix-dir check /^\/[^\s#]*$/ lets through "$" (postconf(5) expands $name in every
  // value: "/etc/$mydomain" becomes "/etc/localdomain") and "," (a list separator:
  // "hash:/etc/x,y/relay_domains" is two tables). Fix: refuse [$,{}()] as well, e.g.
  // /^\/[^\s#$,{}()]*$/. The directory comes from the operator's command line, not the YAML.
  it.each(['/etc/postfix/$mydomain', '/etc/postfix/a,b', '/etc/postfix/${x}'])('refuses the Postfix directory %j (a main.cf macro or list separator)', (dir) => {
    const l = loadConfig(baseConfig());
    expect(() => compile(l.model ?? fail(), { targets: ['postfix'], postfixDir: dir })).toThrow(CompileError);
  });
});

function fail(): never {
  throw new Error('no model');
}
