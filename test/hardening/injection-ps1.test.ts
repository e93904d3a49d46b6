import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile.js';
import { psString } from '../../src/compile/targets/exchange/escape.js';
import type { Model } from '../../src/model/model.js';
import { baseConfig, cleanup, loadConfig } from './support/org.js';
import { psCommandArgs, psSkeleton, psTokenize } from './support/parsers.js';
import { PS_NASTY } from './support/ps-nasty.js';
import { roundTrip, summary } from './support/roundtrip.js';

/**
 * setup.ps1 under hostile values. Every user value is a single-quoted (verbatim) string, in
 * which PowerShell expands nothing and only a quote is special: ' and the typographic
 * quotes U+2018-U+201B, all doubled (about_Quoting_Rules; PowerShell's tokenizer,
 * CharExtensions.IsSingleQuote). A reader that knows those rules (support/parsers.ts
 * psTokenize) must find each value as exactly one string, and the code outside strings and
 * comments must be the same as for a harmless value.
 */

afterAll(cleanup);


describe('setup.ps1: values through the whole pipeline', () => {
  describe.each(['cn', 'givenName', 'sn', 'displayName', 'mailNickname', 'policy name', 'connector name', 'chain name', 'policy filter', 'ou'])('%s', (field) => {
    it.each(PS_NASTY)('%j is one verbatim string, and the code around it is unchanged', (value) => {
      expect(summary(roundTrip({ [field]: value }))).toBe('ok');
    });
  });

  it.each(["it's", 'a\u2019b', '$x'])('psString(%j) decodes back (the tokenizer agrees with the writer)', (v) => {
    const t = psTokenize(psString(v));
    expect(t).toEqual([{ kind: 'sq', text: psString(v), value: v }]);
  });
});

describe('setup.ps1 past the schema (a model built by hand)', () => {
  const loaded = loadConfig(baseConfig());
  const base = loaded.model;
  if (!base) throw new Error('the base organisation does not load');
  const ps1 = (m: Model): string => String(compile(m, { targets: ['exchange'] }).find((f) => f.path === 'exchange/exchange/setup.ps1')?.content);
  const withContact = (cn: string, policy: string): Model => ({
    ...base,
    contacts: base.contacts.map((c, i) => (i === 0 ? { ...c, cn, displayName: cn, givenName: cn } : c)),
    policies: base.policies.map((p, i) => (i === 1 ? { ...p, name: policy } : p)),
  });
  const harmless = ps1(withContact('harmless', 'harmless'));

  it.each(['a\nRemove-Item C:\\ -Recurse', "a'\r\nStop-Computer\n'", 'a\n#>\n', '\u0000nul', '\u001b[31mred'])(
    '%j stays inside its string (a line break in a verbatim string is part of it)',
    (v) => {
      const script = ps1(withContact(v, v));
      const strings = psTokenize(script).filter((t) => t.kind === 'sq').map((t) => t.value);
      // the contact's -Name, -DisplayName and -FirstName (no email address policy is generated)
      expect(strings.filter((s) => s === v).length).toBeGreaterThanOrEqual(3);
      const lines = (s: string): string[] => psSkeleton(s).split('\n').filter((l) => l.trim() !== '').sort();
      expect(lines(script)).toEqual(lines(harmless));
      // comments stay comments: the policy name is in one, with its line break made a space
      const comments = psTokenize(script).filter((t) => t.kind === 'comment').map((t) => t.text);
      expect(comments.every((c) => c.startsWith('<#') || !/[\r\n]/.test(c))).toBe(true);
      expect(psCommandArgs(script, 'New-EmailAddressPolicy')).toEqual([]);
    },
  );
});
