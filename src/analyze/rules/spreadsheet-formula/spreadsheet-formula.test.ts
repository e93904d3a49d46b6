import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'spreadsheet-formula';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the seed-row fixture after `edit`. */
function run(edit: (c: Cfg) => void): Finding[] {
  return cases.findings('valid/seed-row.yaml', edit);
}

describe('spreadsheet-formula', () => {
  it.each<[string, string, string]>([
    ['cn', '=1+1', '='],
    ['cn', '@SUM(A1)', '@'],
    ['givenName', '+Ann', '+'],
    ['sn', '-Smith', '-'],
    ['displayName', '=HYPERLINK("http://x.example")', '='],
    ['mailNickname', '-ann', '-'],
  ])('%s %j starts with %j', (field, value, prefix) => {
    const f = run((c) => (c.contacts[0][field] = value));
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['contacts', 0, field] });
    expect(f[0]?.data).toEqual({ contact: field === 'cn' ? value : 'Internet User', field, value, prefix });
  });

  it('reports the mail column: a targetAddress whose local part starts with "=", "+" or "-"', () => {
    const f = run((c) => (c.contacts[0].targetAddress = '+tag@REMOTE.domain'));
    expect(f.map((x) => [x.at, x.data?.['value']])).toEqual([[{ path: ['contacts', 0, 'targetAddress'] }, '+tag@remote.domain']]);
  });

  it.each<[string, string]>([
    ['a space first', ' =1'],
    ['"=" inside', 'a=b'],
    ['a full-width equals sign', '\uff1d1'],
    ['Japanese', '山田'],
  ])('leaves %s alone', (_, value) => {
    expect(run((c) => (c.contacts[0].cn = value))).toEqual([]);
  });

  it('does not repeat a cn for a displayName the file does not write, nor look at ou and secondary addresses', () => {
    const f = run((c) => {
      c.contacts[0].cn = '=x';
      delete c.contacts[0].displayName;
      c.contacts[0].ou = '=ou';
      c.contacts[0].proxyAddresses = ['=p@xo.one'];
    });
    expect(f.map((x) => x.data?.['field'])).toEqual(['cn']);
  });

  it('says why and what to do', () => {
    const [f] = run((c) => (c.contacts[0].sn = '-User'));
    expect(f?.message).toBe(
      'sn "-User" of contact "Internet User" starts with "-": Excel runs the sn cell of contacts.csv as a formula when the file is edited there; edit it in a text editor, or import contacts.ldif',
    );
  });
});
