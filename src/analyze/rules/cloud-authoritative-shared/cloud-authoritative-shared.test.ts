import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

const RULE = 'cloud-authoritative-shared';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

describe(RULE, () => {
  const run = (edit: (c: Cfg) => void) => cases.findings('valid/hybrid.yaml', edit);
  it('counts the recipients the tenant does not know, per hosting system', () => {
    const f = run((c) => {
      c.systems.m365.mailUsers = [];
      c.systems.unix.mailboxes.push('dave@contoso.com');
    });
    expect(f.map((x) => x.data)).toEqual([
      { system: 'm365', domain: 'contoso.com', other: 'onprem', first: 'bob@contoso.com', count: '1' },
      { system: 'm365', domain: 'contoso.com', other: 'unix', first: 'carol@contoso.com', count: '2' },
    ]);
    expect(f[0]?.related?.[0]?.at).toEqual({ path: ['systems', 'onprem', 'mailboxes', 0] });
  });
  it.each<[string, (c: Cfg) => void]>([
    ['every recipient is a mail user', () => {}],
    ['the domain is InternalRelay', (c) => {
      c.systems.m365.mailUsers = [];
      c.systems.m365.acceptedDomains['contoso.com'] = 'InternalRelay';
    }],
    ['a mail user forwards to another address (a rewrite)', (c) => (c.systems.m365.mailUsers[1].externalEmailAddress = 'carol@contoso.mail.onmicrosoft.com')],
  ])('is quiet when %s', (_, edit) => expect(run(edit)).toEqual([]));
});
