import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'contact-missing-nickname';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);

/** The rule's findings for the seed-row fixture after `edit`. */
function run(edit: (c: Cfg) => void): Finding[] {
  return cases.findings('valid/complete.yaml', edit);
}

describe('contact-missing-nickname', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['the seed: the targetAddress local part, lower case', {}, 'internetuser'],
    ['dots and specials kept, others dropped', { targetAddress: 'Jan.de Vries@remote.domain' }, 'jan.devries'],
    ['a quoted local part', { targetAddress: '"j..doe"@remote.domain' }, 'j.doe'],
    ['a Japanese local part: a secondary address', { targetAddress: '山田@remote.domain', proxyAddresses: ['smtp:yamada@xo.one'] }, 'yamada'],
    ['nothing ASCII but the cn', { targetAddress: '山田@remote.domain', proxyAddresses: ['smtp:山田@xo.one'], cn: 'Yamada Taro' }, 'yamadataro'],
    ['nothing ASCII at all', { targetAddress: '山田@remote.domain', proxyAddresses: ['smtp:山田@xo.one'], cn: '山田 太郎' }, 'contact'],
  ])('%s', (_, contact, nickname) => {
    const f = run((c) => {
      delete c.contacts[0].mailNickname;
      Object.assign(c.contacts[0], contact);
    });
    expect(f).toHaveLength(1);
    expect(f[0]?.at).toEqual({ path: ['contacts', 0] });
    expect(f[0]?.data).toEqual({ contact: (contact['cn'] as string | undefined) ?? 'Internet User', mailNickname: nickname });
    expect(f[0]?.fix?.yaml).toBe(`mailNickname: ${nickname}`);
  });

  it('says what goes wrong without it', () => {
    const [f] = run((c) => delete c.contacts[0].mailNickname);
    expect(f?.message).toBe('contact "Internet User" has no mailNickname: Exchange does not show its E-mail Addresses tab and does not mail-enable it');
  });

  it('is quiet when every contact has one', () => {
    expect(run(() => {})).toEqual([]);
  });
});
