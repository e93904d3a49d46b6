import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ruleCases, timeRule, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';
import { normalize } from '../../../normalize/normalize.js';
import { REWRITE_LIMIT } from '../../../routing/walk.js';

const RULE = 'contact-target-loop';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule alone, timed. */
const timed = (c: Cfg): { findings: Finding[]; ms: number } => cases.timed(c);

function findings(c: Cfg): Finding[] {
  return timed(c).findings;
}

/** The seed-row fixture after `edit`. */
function run(edit: (c: Cfg) => void): Finding[] {
  const c: Cfg = parse(readFileSync(new URL('fixtures/valid/seed-row.yaml', import.meta.url), 'utf8'));
  edit(c);
  return findings(c);
}

/** `n` contacts c0 ... c<n-1> where each one's target is the next one's secondary address; the last targets `last`. */
function rewriteChain(n: number, last: string): Cfg {
  const c: Cfg = parse(readFileSync(new URL('fixtures/valid/seed-row.yaml', import.meta.url), 'utf8'));
  c.contacts = Array.from({ length: n }, (_, i) => ({
    cn: `c${i}`,
    mailNickname: `u${i}`,
    targetAddress: i === n - 1 ? last : `u${i + 1}@xo.one`,
    proxyAddresses: [`smtp:u${i}@xo.one`],
  }));
  return c;
}

/**
 * The rule alone over a large model, timed. The model is normalised straight from the
 * object: YAML parsing and schema validation of 100,000 contacts are the loader's cost, not
 * this rule's, and are measured elsewhere.
 */
/**
 * The rule alone over a large model, timed. The model is normalised straight from the
 * object: YAML parsing and schema validation of 100,000 contacts are the loader's cost, not
 * this rule's, and are measured elsewhere.
 */
const timedModel = (c: Cfg): { findings: Finding[]; ms: number } => timeRule(RULE, normalize('chainmail.yaml', c));

const contact = (cn: string, target: string, proxies: string[], system?: string): Cfg => ({ cn, mailNickname: cn.toLowerCase(), targetAddress: target, proxyAddresses: proxies, ...(system ? { system } : {}) });

describe('contact-target-loop', () => {
  it.each<[string, Cfg[], number, Record<string, string>]>([
    [
      'two contacts that target each other',
      [contact('A', 'b@xo.one', ['a@xo.one']), contact('B', 'a@xo.one', ['b@xo.one'])],
      1,
      { contact: 'A', cycle: '"A" -> "B" -> "A"', contacts: '2', systems: 'exchange', problem: 'cycle' },
    ],
    [
      'three contacts, reported at the first in the file',
      [contact('C', 'a@xo.one', ['c@xo.one']), contact('A', 'b@xo.one', ['a@xo.one']), contact('B', 'c@xo.one', ['b@xo.one'])],
      1,
      { contact: 'C', cycle: '"C" -> "A" -> "B" -> "C"', contacts: '3', systems: 'exchange', problem: 'cycle' },
    ],
    [
      'a contact that targets its own secondary address through an alias of a mailbox... of another contact',
      [contact('Self', 'self@xo.one', ['me@xo.one']), contact('Alias', 'me@xo.one', ['self@xo.one'])],
      1,
      { contact: 'Self', contacts: '2' },
    ],
  ])('%s', (_, contacts, first, data) => {
    const f = run((c) => (c.contacts = [c.contacts[0], ...contacts]));
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['contacts', first, 'targetAddress'] });
    expect(f[0]?.data).toMatchObject(data);
  });

  it('names the contacts of the loop and relates the others', () => {
    const [f] = run((c) => (c.contacts = [contact('A', 'b@xo.one', ['a@xo.one']), contact('B', 'a@xo.one', ['b@xo.one'])]));
    expect(f?.message).toBe('targetAddress "b@xo.one" of contact "A" leads back to the contact: "A" -> "B" -> "A"');
    expect(f?.related).toEqual([{ message: 'contact "B" rewrites to "a@xo.one"', at: { path: ['contacts', 1, 'targetAddress'] } }]);
  });

  it.each<[string, (c: Cfg) => void]>([
    ['the seed row', () => {}],
    ['a chain of contacts that ends outside', (c) => c.contacts.push(contact('A', 'internetuser@xo.one', ['a@xo.one']))],
    ['a target that is a mailbox', (c) => c.contacts.push(contact('A', 'admin@xo.one', ['a@xo.one']))],
    ['a target that routes into a forwarding loop (forwarding-loop reports it)', (c) => {
      c.connectors[0].smartHosts = ['mail.xo.one'];
    }],
  ])('is quiet on %s', (_, edit) => {
    expect(run(edit)).toEqual([]);
  });

  it('finds one loop of 100,000 contacts in seconds', () => {
    const { findings: f, ms } = timedModel(rewriteChain(100_000, 'u0@xo.one'));
    expect(ms).toBeLessThan(30_000); // CPU ms, generous; the benchmark measures speed
    expect(f).toHaveLength(1);
    expect(f[0]?.data).toMatchObject({ contact: 'c0', contacts: '100000', cycle: '"c0" -> "c1" -> "c2" -> "c3" -> "c4" -> ... (100,000 contacts) -> "c99996" -> "c99997" -> "c99998" -> "c99999" -> "c0"' });
  }, 60_000);

  it('reports a chain of 100,000 rewrites that ends outside once, at its head, in seconds', () => {
    const { findings: f, ms } = timedModel(rewriteChain(100_000, 'internetUser@remote.domain'));
    expect(ms).toBeLessThan(30_000); // CPU ms, generous; the benchmark measures speed
    expect(f.map((x) => x.data)).toEqual([{ contact: 'c0', rewrites: '100000', limit: String(REWRITE_LIMIT), problem: 'too-long' }]);
  }, 60_000);

  it(`is quiet on a chain of ${REWRITE_LIMIT} rewrites`, () => {
    expect(findings(rewriteChain(REWRITE_LIMIT, 'internetUser@remote.domain'))).toEqual([]);
    expect(findings(rewriteChain(REWRITE_LIMIT + 1, 'internetUser@remote.domain')).map((x) => x.data?.['rewrites'])).toEqual([String(REWRITE_LIMIT + 1)]);
  });
});
