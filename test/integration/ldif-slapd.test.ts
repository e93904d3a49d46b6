import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileLdif } from '../../src/compile/targets/ldif/ldif.js';
import { escapeDnValue, splitUnescaped, unescapeDnValue } from '../../src/compile/targets/ldif/escape.js';
import type { ContactDecl, Model } from '../../src/model/model.js';
import { loadModel } from '../../src/pipeline.js';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { routingContacts } from '../../src/routing/routing-contacts.js';
import { contactModel, type ContactInput } from '../support/contact-model.js';
import { repoRoot } from '../support/fixtures.js';
import { ruleCases, type Cfg } from '../support/rule-cases.js';
import { ldapadd, ldapsearch, startSlapd, type LdapEntry, type Slapd } from '../support/slapd.js';
import { requireTools } from '../support/tools.js';

/**
 * The LDIF target against a real directory (spec section 4: "the LDIF by a real LDAP server
 * (OpenLDAP slapd with a schema for the Active Directory contact attributes)"): ldapadd
 * loads it, ldapsearch reads it back, and every value must equal the model.
 */
const tools = requireTools('slapd', 'slapadd', 'ldapadd', 'ldapsearch');

/** A DN as [type, value] pairs: types lower-cased, values unescaped (slapd prints `\2C` for `\,`). */
function rdns(dn: string): [string, string][] {
  return splitUnescaped(dn).map((rdn) => {
    const eq = rdn.indexOf('=');
    return [rdn.slice(0, eq).toLowerCase(), unescapeDnValue(rdn.slice(eq + 1))];
  });
}

function text(content: string | Uint8Array | undefined): string {
  if (typeof content !== 'string') throw new Error('the LDIF is text');
  return content;
}

/** What the directory must hold for a contact, straight from the model. */
function expected(c: ContactDecl): Record<string, string[]> {
  const target = c.targetAddress.display;
  const out: Record<string, string[]> = {
    objectClass: ['top', 'contact'],
    cn: [c.cn],
    name: [c.cn],
    displayName: [c.displayName],
    mail: [target],
    proxyAddresses: [`SMTP:${target}`, ...c.proxyAddresses.map((p) => `smtp:${p.address.display}`)],
    targetAddress: [`SMTP:${target}`],
  };
  if (c.sn !== undefined) out['sn'] = [c.sn];
  if (c.givenName !== undefined) out['givenName'] = [c.givenName];
  if (c.mailNickname !== undefined) out['mailNickname'] = [c.mailNickname];
  return out;
}

function attributes(e: LdapEntry): Record<string, string[]> {
  return Object.fromEntries([...e.attributes].map(([k, v]) => [k, [...v]]));
}

async function loadInto(model: Model): Promise<{ server: Slapd; contacts: LdapEntry[] }> {
  const server = await startSlapd({ suffix: model.baseDn ?? '' });
  try {
    const ldif = text(compileLdif(model, { withOus: true, version: 'test' })[0]?.content);
    const added = await ldapadd(server, ldif);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    return { server, contacts: await ldapsearch(server, { filter: '(objectClass=contact)' }) };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

describe.skipIf(!tools)('contacts.ldif in a real slapd: examples/method2', () => {
  let model: Model;
  let server: Slapd | undefined;
  let contacts: LdapEntry[] = [];

  beforeAll(async () => {
    const loaded = loadModel('examples/method2/chainmail.yaml', { cwd: repoRoot });
    expect(loaded.findings).toEqual([]);
    if (!loaded.model) throw new Error('examples/method2 did not load');
    model = loaded.model;
    ({ server, contacts } = await loadInto(model));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('holds every contact of the model', () => {
    expect(model.contacts.length).toBe(3);
    expect(contacts.length).toBe(model.contacts.length);
  });

  it('reads back every attribute value as the model has it (Japanese and "Doe, John" included)', () => {
    for (const c of model.contacts) {
      const entry = contacts.find((e) => e.attributes.get('cn')?.[0] === c.cn);
      expect(entry, c.cn).toBeDefined();
      if (!entry) continue;
      expect(attributes(entry)).toEqual(expected(c));
      expect(rdns(entry.dn)).toEqual([['cn', c.cn], ['ou', 'internet users'], ['dc', 'xo'], ['dc', 'one']]);
    }
  });

  it('created the OU under the base entry', async () => {
    if (!server) throw new Error('no server');
    const ous = await ldapsearch(server, { filter: '(objectClass=organizationalUnit)' });
    expect(ous.map((e) => rdns(e.dn))).toEqual([[['ou', 'internet users'], ['dc', 'xo'], ['dc', 'one']]]);
  });

  it('finds a contact by its secondary address, as Exchange resolves one', async () => {
    if (!server) throw new Error('no server');
    const found = await ldapsearch(server, { filter: '(proxyAddresses=smtp:john.doe@xo.one)', attributes: ['cn'] });
    expect(found.map((e) => e.attributes.get('cn'))).toEqual([['Doe, John']]);
  });
});

// The reverse path at an authoritative Exchange system: the mail contacts generated in
// forest B of examples/forests (with a base DN) for forest A's users (docs/routing.md).
describe.skipIf(!tools)('contacts.ldif in a real slapd: the generated contacts of examples/forests', () => {
  const cases = ruleCases('ldif-slapd-forests', import.meta.url);
  let model: Model;
  let server: Slapd | undefined;
  let contacts: LdapEntry[] = [];

  beforeAll(async () => {
    const c: Cfg = parse(readFileSync(join(repoRoot, 'examples/forests/chainmail.yaml'), 'utf8'));
    c.directory = { baseDn: 'dc=fabrikam,dc=local' };
    const loaded = cases.load(c);
    if (!loaded.model) throw new Error('examples/forests did not load');
    model = loaded.model;
    ({ server, contacts } = await loadInto(model));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('holds each generated contact with every value as the routing stage made it', () => {
    const generated = routingContacts(model, compileRoutingTables(model));
    expect(generated.map((g) => g.cn)).toEqual(['alice@contoso.com (forest-a)', 'anil@contoso.com (forest-a)']);
    expect(contacts.length).toBe(generated.length);
    for (const g of generated) {
      const entry = contacts.find((e) => e.attributes.get('cn')?.[0] === g.cn);
      expect(entry && attributes(entry), g.cn).toEqual(expected(g));
      expect(entry && rdns(entry.dn)).toEqual([['cn', g.cn], ['dc', 'fabrikam'], ['dc', 'local']]);
    }
  });

  it('finds forest A\'s user by the shared address, with the routing-domain targetAddress', async () => {
    if (!server) throw new Error('no server');
    const found = await ldapsearch(server, { filter: '(proxyAddresses=smtp:alice@contoso.com)', attributes: ['targetAddress'] });
    expect(found.map((e) => e.attributes.get('targetAddress'))).toEqual([['SMTP:alice@contoso.local']]);
  });
});

// Each value in a CN, an OU name and every text attribute: slapd must accept the escaping.
const nasty: readonly string[] = [
  'Doe, John',
  'IJsselmeer, Jan van',
  'John "Johnny" Doe',
  'two\nlines',
  ' Leading',
  'Trailing ',
  '=HYPERLINK("x")',
  '#1 fan',
  '山田 太郎',
  'DOMAIN\\user',
  'a+b;c<d>e',
  ':colon',
  '<less',
  'Ünïcödé Ærøskøbing',
  '東京都千代田区丸の内一丁目'.repeat(4),
];

describe.skipIf(!tools)('contacts.ldif in a real slapd: nasty values', () => {
  const inputs: ContactInput[] = nasty.map((v, i) => ({
    cn: v,
    ou: escapeDnValue(v),
    givenName: v,
    sn: v,
    displayName: v,
    mailNickname: `nick${i}`,
    targetAddress: `user${i}@remote.domain`,
    proxyAddresses: [`user${i}@xo.one`],
  }));
  const model = contactModel(inputs);
  let server: Slapd | undefined;
  let contacts: LdapEntry[] = [];

  beforeAll(async () => {
    ({ server, contacts } = await loadInto(model));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(nasty.map((v, i) => [JSON.stringify(v), i] as const))('%s reads back unchanged', (_label, i) => {
    const c = model.contacts[i];
    if (!c) throw new Error('no contact');
    const entry = contacts.find((e) => e.attributes.get('mailNickname')?.[0] === c.mailNickname);
    expect(entry).toBeDefined();
    if (!entry) return;
    expect(attributes(entry)).toEqual(expected(c));
    expect(rdns(entry.dn)).toEqual([['cn', c.cn], ['ou', c.cn], ['dc', 'xo'], ['dc', 'one']]);
  });
});
