import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileCsv } from '../../src/compile/targets/csv/csv.js';
import { compileExchange } from '../../src/compile/targets/exchange/exchange.js';
import { compileLdif } from '../../src/compile/targets/ldif/ldif.js';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { routingContacts } from '../../src/routing/routing-contacts.js';
import { tableIndex } from '../../src/routing/table.js';
import { repoRoot } from '../support/fixtures.js';
import { ruleCases, type Cfg } from '../support/rule-cases.js';
import { parseLdif } from '../support/slapd.js';

/**
 * The reverse path at an authoritative Exchange system (docs/routing.md): the mail
 * contacts generated in forest B of examples/forests for forest A's users, as entries of
 * forest B's routing table, and as the contacts the LDIF, csvde and setup.ps1 targets write.
 */
const cases = ruleCases('routing-contacts', import.meta.url);
const forests = readFileSync(join(repoRoot, 'examples/forests/chainmail.yaml'), 'utf8');

function tables(edit: (c: Cfg) => void = () => {}) {
  const c: Cfg = parse(forests);
  delete c.tests;
  edit(c);
  const { model } = cases.load(c);
  if (!model) throw new Error('no model');
  return { model, tables: compileRoutingTables(model) };
}

/** forest B's entries for forest A's recipients in contoso.com. */
function forestB(edit?: (c: Cfg) => void): Record<string, unknown> {
  const t = tables(edit).tables.get('forest-b');
  const out: Record<string, unknown> = {};
  for (const [k, e] of tableIndex(t!).recipients) if (e.action === 'rewrite') out[k] = e;
  return out;
}

describe('mail contacts for recipients hosted elsewhere, at an authoritative Exchange system', () => {
  it.each<[string, (c: Cfg) => void, Record<string, unknown>]>([
    [
      'the mailbox address in the routing domain is the targetAddress',
      () => {},
      {
        'alice@contoso.com': { action: 'rewrite', to: 'alice@contoso.local', contact: 'alice@contoso.com (forest-a)', hostedBy: 'forest-a' },
        'anil@contoso.com': { action: 'rewrite', to: 'anil@contoso.local', contact: 'anil@contoso.com (forest-a)', hostedBy: 'forest-a' },
      },
    ],
    [
      'without an address in the routing domain: the local part of the mailbox there',
      (c) => (c.systems['forest-a'].mailboxes = ['Zoë@contoso.com']),
      { 'zoë@contoso.com': { action: 'rewrite', to: 'zoë@contoso.local', contact: 'zoë@contoso.com (forest-a)', hostedBy: 'forest-a' } },
    ],
    ['none when forest A has no routing domain (550 5.1.1 at forest B)', (c) => delete c.systems['forest-a'].routingDomain, {}],
    ['none when forest B has no connector for it', (c) => (c.connectors = c.connectors.filter((x: { name: string }) => x.name !== 'Cross-forest to Contoso')), {}],
    [
      'none where forest B forwards the domain (not authoritative, a connector for it)',
      (c) => {
        c.policies[4].addresses[0].authoritative = false;
        c.connectors.push({ name: 'Back to Contoso', system: 'forest-b', addressSpaces: ['contoso.com'], to: 'forest-a', allowRelay: true });
      },
      {},
    ],
  ])('%s', (_, edit, expected) => {
    expect(forestB(edit)).toEqual(expected);
  });

  it('leaves forest A (the gateway, forwarding the shared space) without generated contacts', () => {
    const a = tables().tables.get('forest-a');
    expect([...tableIndex(a!).recipients.values()].filter((e) => e.action === 'rewrite')).toEqual([]);
  });

  it('gives the compile targets one contact per mailbox, with every address of it as a secondary', () => {
    const { model, tables: t } = tables((c) => c.systems['forest-a'].mailboxes.push({ address: 'ann@contoso.com', aliases: ['annie@contoso.com'] }));
    const contacts = routingContacts(model, t).map((c) => ({ cn: c.cn, system: c.system, nick: c.mailNickname, to: c.targetAddress.display, proxies: c.proxyAddresses.map((p) => p.address.display), path: c.path }));
    expect(contacts).toEqual([
      { cn: 'alice@contoso.com (forest-a)', system: 'forest-b', nick: 'alice.contoso', to: 'alice@contoso.local', proxies: ['alice@contoso.com'], path: ['systems', 'forest-a', 'routingDomain'] },
      { cn: 'anil@contoso.com (forest-a)', system: 'forest-b', nick: 'anil.contoso', to: 'anil@contoso.local', proxies: ['anil@contoso.com'], path: ['systems', 'forest-a', 'routingDomain'] },
      { cn: 'ann@contoso.com (forest-a)', system: 'forest-b', nick: 'ann.contoso', to: 'ann@contoso.local', proxies: ['ann@contoso.com', 'annie@contoso.com'], path: ['systems', 'forest-a', 'routingDomain'] },
    ]);
  });
});

describe('the generated contacts in the targets, with the targets\' escaping', () => {
  // a quoted local part with a comma, a quote and a space: LDIF DN, CSV and PowerShell each escape it
  const nasty = (c: Cfg) => (c.systems['forest-a'].mailboxes = ['"O\'Brien, Pat"@contoso.com']);

  it('writes the same contact into contacts.ldif (DN escaped), contacts.csv (quoted) and setup.ps1 (quote doubled)', () => {
    const { model } = tables(nasty);
    const ldif = String(compileLdif(model, { version: 'test' })[0]?.content);
    const [entry] = parseLdif(ldif);
    expect(entry?.dn).toBe('CN=\\"o\'brien\\, pat\\"@contoso.com (forest-a),DC=fabrikam,DC=local');
    expect(entry?.attributes.get('targetAddress')).toEqual(['SMTP:"o\'brien, pat"@contoso.local']);
    expect(entry?.attributes.get('proxyAddresses')).toEqual(['SMTP:"o\'brien, pat"@contoso.local', 'smtp:"o\'brien, pat"@contoso.com']);
    expect(entry?.attributes.get('mailNickname')).toEqual(["_o'brien__pat_.contoso"]);
    const csv = String(compileCsv(model)[0]?.content).split('\r\n');
    expect(csv[1]).toContain('"SMTP:""o\'brien, pat""@contoso.local;smtp:""o\'brien, pat""@contoso.com"');
    const ps1 = String(compileExchange(model).find((f) => f.path === 'forest-b/exchange/setup.ps1')?.content);
    expect(ps1).toContain("-ExternalEmailAddress 'SMTP:\"o''brien, pat\"@contoso.local'");
    expect(compileExchange(model).find((f) => f.path === 'forest-a/exchange/setup.ps1')?.content).not.toContain('New-MailContact');
  });
});
