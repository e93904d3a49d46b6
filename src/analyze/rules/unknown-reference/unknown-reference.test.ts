import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'unknown-reference';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the complete valid fixture after `edit`, with extra files beside it. */
function run(edit: (c: Cfg) => void, files: Record<string, string> = {}): Finding[] {
  return cases.findings('valid/complete.yaml', edit, files);
}

describe('unknown-reference', () => {
  it.each<[string, (c: Cfg) => void, (string | number)[], Record<string, string>, string | undefined]>([
    ['policy system', (c) => (c.policies[1].system = 'exchang'), ['policies', 1, 'system'], { name: 'exchang', suggestion: 'exchange' }, 'system: exchange'],
    ['connector system', (c) => (c.connectors[0].system = 'Exchange'), ['connectors', 0, 'system'], { name: 'Exchange', suggestion: 'exchange' }, 'system: exchange'],
    ['connector system list', (c) => (c.connectors[0].system = ['exchange', 'unixx']), ['connectors', 0, 'system', 1], { name: 'unixx', suggestion: 'unix' }, 'system: [exchange, unix]'],
    ['connector to', (c) => (c.connectors[0].to = 'unix-server'), ['connectors', 0, 'to'], { name: 'unix-server' }, undefined],
    ['chain order, a kind for a name', (c) => (c.chains[0].order = ['exchange', 'postfix']), ['chains', 0, 'order', 1], { name: 'postfix', suggestion: 'unix' }, 'order: [exchange, unix]'],
    ['contact system', (c) => (c.contacts[0].system = 'exchange2'), ['contacts', 0, 'system'], { name: 'exchange2', suggestion: 'exchange' }, 'system: exchange'],
    ['forwardUnresolvedTo word', (c) => (c.systems.exchange.forwardUnresolvedTo = 'unx'), ['systems', 'exchange', 'forwardUnresolvedTo'], { name: 'unx', suggestion: 'unix' }, 'forwardUnresolvedTo: unix'],
    ['test from', (c) => (c.tests[0].from = 'exchnge'), ['tests', 0, 'from'], { name: 'exchnge', suggestion: 'exchange' }, 'from: exchange'],
    ['test delivered', (c) => (c.tests[1].expect = { delivered: 'unx' }), ['tests', 1, 'expect', 'delivered'], { name: 'unx', suggestion: 'unix' }, 'delivered: unix'],
    ['test bounced', (c) => (c.tests[1].expect = { bounced: 'mailhost', status: '5.1.1' }), ['tests', 1, 'expect', 'bounced'], { name: 'mailhost' }, undefined],
    ['test refused', (c) => (c.tests[1].expect = { refused: 'gateway' }), ['tests', 1, 'expect', 'refused'], { name: 'gateway' }, undefined],
  ])('%s', (_, edit, path, data, fix) => {
    const f = run(edit);
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path });
    expect(f[0]?.data).toEqual({ kind: 'system', ...data });
    expect(f[0]?.fix?.yaml).toBe(fix);
  });

  it('lists the systems when there is no close name', () => {
    const [f] = run((c) => (c.connectors[0].to = 'notes'));
    expect(f?.message).toBe('unknown system "notes" in connector "To UNIX": the systems are "exchange", "unix"');
  });

  it.each(['mail.example.net', '[10.0.0.1]', '[10.0.0.1]:2525', 'relay:25', 'unix'])('forwardUnresolvedTo %s is a host or a system', (v) => {
    expect(run((c) => (c.systems.exchange.forwardUnresolvedTo = v))).toEqual([]);
  });

  it('accepts tests from the internet and from a system', () => {
    expect(run((c) => ((c.tests[0].from = 'internet'), (c.tests[1].from = 'exchange')))).toEqual([]);
  });

  it('skips names of systems that failed the schema (the schema finding explains them)', () => {
    const f = run((c) => {
      c.systems.unix.kind = 'postfx';
    });
    expect(f).toEqual([]);
  });

  it('says which exchange systems a contact without system could belong to', () => {
    const f = run((c) => {
      c.systems['exchange-b'] = { kind: 'exchange', host: 'mail.b.example', mailboxes: [] };
    });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      at: { path: ['contacts', 0] },
      data: { kind: 'contact-system', contact: 'Internet User' },
      message: 'contact "Internet User" needs system: the file has 2 exchange systems: "exchange", "exchange-b"',
    });
  });

  it('reports a contact when the file has no exchange system', () => {
    const f = run((c) => {
      c.systems.exchange.kind = 'postfix';
    });
    expect(f.map((x) => x.message)).toEqual(['contact "Internet User" needs system: the file has no system of kind exchange to hold it']);
  });

  it('stays quiet about contacts when the only candidate system failed the schema', () => {
    const f = run((c) => {
      c.systems.exchange.kind = 'exchang';
      delete c.policies;
      delete c.connectors;
      delete c.chains;
      delete c.tests;
    });
    expect(f).toEqual([]);
  });
});
