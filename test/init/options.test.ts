import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { baseDnFor, normalizeHost, parseRemoteSpec, parseSystemSpec, privateSpaceFor } from '../../src/init/options.js';
import { scalar } from '../../src/init/yaml-text.js';

describe('init options', () => {
  it.each([
    ['example.com', 'example.local'],
    ['mail.example.co.uk', 'mail.example.co.local'],
    ['例え.jp', '例え.local'],
  ])('privateSpaceFor(%j) = %j (seed step 1: e.g. @example.local)', (share, want) => {
    expect(privateSpaceFor(share)).toBe(want);
  });

  it.each([
    ['xo.one', 'dc=xo,dc=one'],
    ['corp.example.com', 'dc=corp,dc=example,dc=com'],
  ])('baseDnFor(%j) = %j', (domain, want) => {
    expect(baseDnFor(domain)).toBe(want);
  });

  it.each([
    ['192.168.1.10', { host: '[192.168.1.10]' }],
    ['[192.168.1.10]', { host: '[192.168.1.10]' }],
    ['[192.168.1.10]:2525', { host: '[192.168.1.10]', port: 2525 }],
    ['2001:db8::1', { host: '[IPv6:2001:db8::1]' }],
    ['Mail.Example.COM', { host: 'mail.example.com' }],
    ['mx.example.net:587', { host: 'mx.example.net', port: 587 }],
  ])('normalizeHost(%j): IP addresses always in brackets (seed step 4)', (raw, want) => {
    expect(normalizeHost(raw, 'host')).toEqual(want);
  });

  it.each([
    ['unix=[192.168.1.10]', { name: 'unix', kind: 'postfix', host: '[192.168.1.10]' }],
    ['forest-b:exchange=10.20.0.25', { name: 'forest-b', kind: 'exchange', host: '[10.20.0.25]' }],
    ['hub:relay', { name: 'hub', kind: 'relay', host: 'hub.example.com' }],
  ])('parseSystemSpec(%j)', (spec, want) => {
    expect(parseSystemSpec(spec, 'postfix', (n) => `${n}.example.com`)).toEqual(want);
  });

  it('parseRemoteSpec keeps the port on the smart host', () => {
    expect(parseRemoteSpec('remote.domain=10.1.1.1:2525')).toEqual({ domain: 'remote.domain', smartHost: '[10.1.1.1]:2525' });
  });

  it.each(['example.com', 'Default Policy', 'true', 'No', 'null', '~', '[192.168.1.10]', '@example.com', '(mailnickname=*)', 'a: b', 'x #y', '例え.jp', '1and1.com', 'trailing ', "it's", 'back\\slash', 'line\nbreak'])(
    'scalar(%j) reads back as the same string',
    (s) => {
      expect(parse(`k: ${scalar(s)}\n`)).toEqual({ k: s });
      expect(parse(`k: { v: ${scalar(s)} }\n`)).toEqual({ k: { v: s } });
      expect(parse(`k: [${scalar(s)}]\n`)).toEqual({ k: [s] });
    },
  );
});
