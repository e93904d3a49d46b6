import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';
import { loadModel } from '../../../pipeline.js';
import { analyze } from '../../analyze.js';

const RULE = 'contact-missing-nickname';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

/** The parsed YAML document that the cases edit. */
type Cfg = any;
const tmp = mkdtempSync(join(tmpdir(), `chainmail-${RULE}-`));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;

/** The rule's findings for the seed-row fixture after `edit`. */
function run(edit: (c: Cfg) => void): Finding[] {
  const c: Cfg = parse(readFileSync(new URL('fixtures/valid/seed-row.yaml', import.meta.url), 'utf8'));
  edit(c);
  const dir = join(tmp, String(runs++));
  mkdirSync(dir);
  writeFileSync(join(dir, 'chainmail.yaml'), stringify(c));
  const loaded = loadModel(join(dir, 'chainmail.yaml'), { cwd: dir });
  if (!loaded.model) throw new Error(`no model: ${JSON.stringify(loaded.findings)}`);
  return analyze(loaded.model).filter((f) => f.ruleId === RULE);
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
