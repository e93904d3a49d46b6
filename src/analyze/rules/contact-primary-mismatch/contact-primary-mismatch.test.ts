import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';
import { loadModel } from '../../../pipeline.js';
import { analyze } from '../../analyze.js';

const RULE = 'contact-primary-mismatch';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

/** The parsed YAML document that the cases edit. */
type Cfg = any;
const tmp = mkdtempSync(join(tmpdir(), `chainmail-${RULE}-`));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;

/** The rule's findings for the seed-row fixture with the contact's proxyAddresses replaced. */
function run(proxyAddresses: string[], targetAddress = 'internetUser@remote.domain'): Finding[] {
  const c: Cfg = parse(readFileSync(new URL('fixtures/valid/seed-row.yaml', import.meta.url), 'utf8'));
  c.contacts[0].proxyAddresses = proxyAddresses;
  c.contacts[0].targetAddress = targetAddress;
  const dir = join(tmp, String(runs++));
  mkdirSync(dir);
  writeFileSync(join(dir, 'chainmail.yaml'), stringify(c));
  const loaded = loadModel(join(dir, 'chainmail.yaml'), { cwd: dir });
  if (!loaded.model) throw new Error(`no model: ${JSON.stringify(loaded.findings)}`);
  return analyze(loaded.model).filter((f) => f.ruleId === RULE);
}

describe('contact-primary-mismatch', () => {
  it.each<[string, string[], [number, string, string][], string]>([
    [
      'a primary that is not the target',
      ['SMTP:internetuser@xo.one'],
      [[0, 'not-target', 'internetuser@xo.one']],
      'proxyAddresses: [SMTP:internetUser@remote.domain, smtp:internetuser@xo.one]',
    ],
    [
      'two primaries, the target first',
      ['SMTP:internetUser@remote.domain', 'SMTP:internetuser@xo.one'],
      [[1, 'two-primaries', 'internetuser@xo.one']],
      'proxyAddresses: [SMTP:internetUser@remote.domain, smtp:internetuser@xo.one]',
    ],
    [
      'two primaries, the target second',
      ['SMTP:internetuser@xo.one', 'SMTP:INTERNETUSER@remote.domain'],
      [[0, 'two-primaries', 'internetuser@xo.one']],
      'proxyAddresses: [smtp:internetuser@xo.one, SMTP:INTERNETUSER@remote.domain]',
    ],
    [
      'two primaries, neither the target',
      ['SMTP:internetuser@xo.one', 'SMTP:iu@xo.one'],
      [
        [0, 'not-target', 'internetuser@xo.one'],
        [1, 'two-primaries', 'iu@xo.one'],
      ],
      'proxyAddresses: [SMTP:internetUser@remote.domain, smtp:internetuser@xo.one, smtp:iu@xo.one]',
    ],
  ])('%s', (_, proxies, want, fix) => {
    const f = run(proxies);
    expect(f.map((x) => [x.at, x.data?.['problem'], x.data?.['primary']])).toEqual(
      want.map(([i, problem, primary]) => [{ path: ['contacts', 0, 'proxyAddresses', i] }, problem, primary]),
    );
    for (const x of f) expect(x.fix?.yaml).toBe(fix);
  });

  it('names the contact, the primary and the target', () => {
    const [f] = run(['SMTP:internetuser@xo.one']);
    expect(f?.message).toBe('the primary SMTP address "internetuser@xo.one" of contact "Internet User" is not its targetAddress "internetUser@remote.domain"');
    expect(f?.data).toEqual({ contact: 'Internet User', primary: 'internetuser@xo.one', targetAddress: 'internetUser@remote.domain', problem: 'not-target' });
  });

  it.each<[string, string[], string?]>([
    ['no primary written (the targetAddress is the primary)', ['smtp:internetuser@xo.one']],
    ['no prefix at all', ['internetuser@xo.one']],
    ['the target as primary in another case', ['SMTP:InternetUser@Remote.Domain', 'smtp:internetuser@xo.one']],
    ['an invalid targetAddress (invalid-address reports it)', ['SMTP:internetuser@xo.one'], 'not an address'],
  ])('is quiet with %s', (_, proxies, target) => {
    expect(run(proxies, target)).toEqual([]);
  });
});
