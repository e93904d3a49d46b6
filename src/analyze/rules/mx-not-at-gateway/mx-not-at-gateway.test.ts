import { describe, expect, it } from 'vitest';
import { pathsAndData, ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'mx-not-at-gateway';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);
const cases = ruleCases(RULE, import.meta.url);
const com = (c: Cfg): Cfg => c.domains['example.com'];

describe(RULE, () => {
  it.each<[string, (c: Cfg) => void, (string | number)[], Record<string, string>]>([
    ['an MX outside the file', (c) => (com(c).mx = ['mx.filter.example.net']), ['domains', 'example.com', 'mx', 0],
      { domain: 'example.com', host: 'mx.filter.example.net', system: '', gateways: 'exchange', published: 'false' }],
    ['an MX at the second system of the chain', (c) => {
      c.systems.unix.host = 'unix.example.com';
      com(c).mx = [{ host: 'mail.example.com', preference: 5 }, 'UNIX.example.com.'];
    }, ['domains', 'example.com', 'mx', 1], { domain: 'example.com', host: 'unix.example.com', system: 'unix', gateways: 'exchange', published: 'false' }],
    ['a published MX elsewhere', (c) => (com(c).published = { mx: ['mx.old.example.net'] }), ['domains', 'example.com', 'published', 'mx', 0],
      { domain: 'example.com', host: 'mx.old.example.net', system: '', gateways: 'exchange', published: 'true' }],
  ])('reports %s', (_, edit, path, data) => {
    expect(pathsAndData(cases.findings('valid/method1.yaml', edit))).toEqual([{ path, data }]);
  });

  it('offers the gateway host as the fix for a wanted MX', () => {
    const [f] = cases.findings('valid/method1.yaml', (c) => (com(c).mx = ['mx.filter.example.net']));
    expect(f?.fix?.yaml).toBe('- mail.example.com');
    expect(f?.related?.map((r) => r.at)).toEqual([{ path: ['systems', 'exchange', 'host'] }]);
  });

  it.each<[string, (c: Cfg) => void]>([
    ['the MX is the gateway (case and trailing dot do not matter)', (c) => (com(c).mx = ['Mail.Example.COM.'])],
    ['no MX is named: the build derives it from the gateways', () => {}],
    ['the domain is not shared (no chain)', (c) => {
      c.domains['example.local'].mx = ['mx.elsewhere.example.net'];
    }],
    ['no gateway accepts the domain (the routing rules say why)', (c) => {
      com(c).mx = ['mx.filter.example.net'];
      c.systems.exchange.gateway = false;
    }],
  ])('is quiet when %s', (_, edit) => {
    expect(cases.findings('valid/method1.yaml', edit)).toEqual([]);
  });
});
