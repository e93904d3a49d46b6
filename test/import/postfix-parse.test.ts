import { describe, expect, it } from 'vitest';
import { expand, listItems, parseMainCf, parseMap, type ImportProblem } from '../../src/import/postfix-maps.js';
import { hostSpecs, transportRoute } from '../../src/import/postfix-transport.js';

describe('parseMap (postmap(1) source files)', () => {
  it('reads key and value, skips comments and blank lines, joins continuation lines', () => {
    const problems: ImportProblem[] = [];
    const text = '# a comment\n\nExample.COM   smtp:[10.0.0.5]\n  # indented comment\nuser@example.com\tlocal:\nlong.example relay:[a]:25,\n    [b]:25\n';
    expect(parseMap(text, 't', true, problems)).toEqual([
      { key: 'example.com', value: 'smtp:[10.0.0.5]', file: 't', line: 3 },
      { key: 'user@example.com', value: 'local:', file: 't', line: 5 },
      { key: 'long.example', value: 'relay:[a]:25, [b]:25', file: 't', line: 6 },
    ]);
    expect(problems).toEqual([]);
  });

  it.each<[string, string, boolean, string]>([
    ['a key without a value', 'example.com\n', true, 't:1: "example.com" has no value: expected "key whitespace value" (postmap(1))'],
    ['a continuation without a line before it', '  example.com OK\n', false, 't:1: starts with whitespace, which continues a previous line, but there is none'],
    ['a .db file', 'example.com\u0000OK\n', false, 't:1: contains a NUL byte: is this the .db file? name the text source file'],
    ['bytes that are not UTF-8', 'ok OK\nbad\uFFFD OK\n', false, 't:2: is not valid UTF-8 text; save the file as UTF-8'],
  ])('reports %s with file and line', (_name, text, needsValue, message) => {
    const problems: ImportProblem[] = [];
    parseMap(text, 't', needsValue, problems);
    expect(problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([message]);
  });

  it('accepts a list file (a key alone) where a value is not needed', () => {
    const problems: ImportProblem[] = [];
    expect(parseMap('example.com\r\nexample.net\r\n', 'rd', false, problems).map((e) => e.key)).toEqual(['example.com', 'example.net']);
    expect(problems).toEqual([]);
  });
});

describe('parseMainCf and expand (postconf(5))', () => {
  const problems: ImportProblem[] = [];
  const params = parseMainCf('mydomain = example.com\nrelay_domains = $mydomain,\n  ${other} $(mydomain) $unset\nother=example.net\nnot a parameter\n', 'main.cf', problems);

  it('reads name = value lines with continuations; the last definition wins', () => {
    expect(params.get('relay_domains')).toEqual({ value: '$mydomain, ${other} $(mydomain) $unset', file: 'main.cf', line: 2 });
    expect(problems).toEqual([{ file: 'main.cf', line: 5, message: 'expected "name = value" (postconf(5))' }]);
  });

  it('expands $name, ${name} and $(name); names it does not know expand to nothing', () => {
    expect(expand(params, 'relay_domains')).toEqual({ value: 'example.com, example.net example.com ', unknown: ['unset'] });
  });
});

describe('listItems', () => {
  it('splits tables, files and values, with proxy: stripped and inline tables kept whole', () => {
    expect(listItems('example.com, hash:/etc/postfix/rd  proxy:lmdb:/x/y,/etc/postfix/list inline:{ a=b, c=d }')).toEqual([
      { kind: 'value', value: 'example.com' },
      { kind: 'table', type: 'hash', name: '/etc/postfix/rd', raw: 'hash:/etc/postfix/rd' },
      { kind: 'table', type: 'lmdb', name: '/x/y', raw: 'proxy:lmdb:/x/y' },
      { kind: 'file', path: '/etc/postfix/list' },
      { kind: 'table', type: 'inline', name: '{ a=b, c=d }', raw: 'inline:{ a=b, c=d }' },
    ]);
  });
});

describe('transport(5) values', () => {
  it.each([
    ['relay:[192.168.1.10]:25', { kind: 'forward', hosts: ['[192.168.1.10]'] }],
    ['smtp:[10.0.0.5]:2525', { kind: 'forward', hosts: ['[10.0.0.5]:2525'] }],
    [':[10.0.0.5]', { kind: 'forward', hosts: ['[10.0.0.5]'] }],
    ['smtp:mx.example.net', { kind: 'forward', hosts: ['mx.example.net'] }],
    ['relay:[ipv6:2001:db8::25]:2525', { kind: 'forward', hosts: ['[IPv6:2001:db8::25]:2525'] }],
    ['relay:[198.51.100.7]:587, [ipv6:2001:db8::7]:25', { kind: 'forward', hosts: ['[198.51.100.7]:587', '[IPv6:2001:db8::7]'] }],
    ['slow:[10.0.0.9]', { kind: 'forward', hosts: ['[10.0.0.9]'] }],
    ['smtp:', { kind: 'mx' }],
    ['local:', { kind: 'local', transport: 'local:' }],
    ['lmtp:unix:private/dovecot-lmtp', { kind: 'local', transport: 'lmtp:unix:private/dovecot-lmtp' }],
    ['dovecot:', { kind: 'local', transport: 'dovecot:' }],
    ['discard:', { kind: 'unsupported', why: 'transport "discard:" (mail is dropped here)' }],
    ['error:5.1.1 gone', { kind: 'unsupported', why: 'transport "error:5.1.1" (unknown recipients are refused here)', authoritative: true }],
    ['error:5.7.1 no', { kind: 'unsupported', why: 'transport "error:" (mail is refused here)' }],
  ])('%s', (value, route) => {
    expect(transportRoute(value)).toEqual(route);
  });

  it('treats a value named as a local transport as local delivery', () => {
    expect(transportRoute('smtp:[127.0.0.1]:2600', ['smtp:[127.0.0.1]:2600'])).toEqual({ kind: 'local', transport: 'smtp:[127.0.0.1]:2600' });
  });

  it.each([
    ['[10.0.0.5]:smtp', 'next hop "[10.0.0.5]:smtp" has the port "smtp": write it as a number'],
    ['[10.0.0.5', 'next hop "[10.0.0.5" is not [host]:port or host:port'],
    ['[10.0.0.5]:99999', 'next hop "[10.0.0.5]:99999" has a port outside 1-65535'],
    ['', 'next hop "" names no host'],
  ])('refuses the next hop %j', (nexthop, message) => {
    expect(hostSpecs(nexthop)).toBe(message);
  });
});
