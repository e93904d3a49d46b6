import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lint } from '../../src/analyze/lint.js';
import { loadModel } from '../../src/pipeline.js';

const dir = mkdtempSync(join(tmpdir(), 'chainmail-validate-'));
let n = 0;
function lintText(text: string): { ruleId: string; line: number; column: number; message: string }[] {
  const file = join(dir, `f${n++}.yaml`);
  writeFileSync(file, text);
  return lint(loadModel(file, { cwd: dir })).diagnostics.map((d) => ({ ruleId: d.ruleId, line: d.line, column: d.column, message: d.message }));
}

const HEAD = 'version: 1\ndomains:\n  example.com: {}\n';

describe('schema findings are sentences at the offending key or value', () => {
  it.each([
    ['unknown key with did-you-mean', `${HEAD}systems:\n  a:\n    kind: postfix\n    hots: x.example.com\n    host: a.example.com\n`, 7, 5, 'unknown key "hots" in systems.a: did you mean "host"?'],
    ['wrong enum with did-you-mean', `${HEAD}systems:\n  a:\n    kind: exchang\n    host: a.example.com\n`, 6, 11, 'systems.a.kind is "exchang": must be one of "exchange", "postfix", "relay", "exchange-online", "google-workspace", "other" (did you mean "exchange"?)'],
    ['missing required key', `${HEAD}systems:\n  a:\n    kind: postfix\n`, 5, 3, 'systems.a is missing the required key "host"'],
    ['wrong type', `${HEAD}systems:\n  a:\n    kind: postfix\n    host: a.example.com\n    gateway: "yes"\n`, 8, 14, 'systems.a.gateway must be a boolean, not "yes"'],
    ['space without @', `${HEAD}policies:\n  - name: p\n    system: a\n    addresses: [{ space: example.com }]\n`, 7, 26, 'policies[0].addresses[0].space "example.com" must start with "@", e.g. "@example.com"'],
    ['connector with to and smartHosts', `${HEAD}connectors:\n  - name: c\n    system: a\n    addressSpaces: [example.com]\n    to: b\n    smartHosts: ["[10.0.0.1]"]\n`, 5, 5, 'connectors[0] has both "to" and "smartHosts": give one of them'],
    ['connector with neither', `${HEAD}connectors:\n  - name: c\n    system: a\n    addressSpaces: [example.com]\n`, 5, 5, 'connectors[0] is missing the required key "smartHosts"'],
    ['test with two outcomes', `${HEAD}tests:\n  - to: a@example.com\n    expect: { delivered: a, bounced: b }\n`, 6, 13, 'tests[0].expect names more than one outcome: keep one of delivered, bounced, refused, looped, external'],
    ['test with status only', `${HEAD}tests:\n  - to: a@example.com\n    expect: { status: 5.1.1 }\n`, 6, 13, 'tests[0].expect must name exactly one outcome (delivered, bounced, refused, looped or external), optionally with status'],
    ['bad status code', `${HEAD}tests:\n  - to: a@example.com\n    expect: { bounced: a, status: "550" }\n`, 6, 35, 'tests[0].expect.status "550" must be an enhanced status code such as "5.1.1"'],
    ['bad severity', `${HEAD}lint:\n  rules: { unused-domain: warn }\n`, 5, 27, 'lint.rules.unused-domain is "warn": must be one of "off", "warning", "error" (did you mean "warning"?)'],
    ['bad system name', `${HEAD}systems:\n  "a b":\n    kind: postfix\n    host: a.example.com\n`, 5, 3, 'systems has an invalid name "a b": system names are letters, digits, ".", "_" and "-"'],
    ['mailbox entry of the wrong shape', `${HEAD}systems:\n  a:\n    kind: postfix\n    host: a.example.com\n    mailboxes: [{ adress: x@example.com }]\n`, 8, 19, 'unknown key "adress" in systems.a.mailboxes[0]: did you mean "address"?'],
    ['wrong version', 'version: 2\n', 1, 10, 'version must be 1, not 2'],
  ])('%s', (_name, text, line, column, message) => {
    const found = lintText(text).filter((d) => d.ruleId === 'schema');
    expect(found).toContainEqual({ ruleId: 'schema', line, column, message });
  });

  it('a schema error confines the damage: the rest of the file is still analysed', () => {
    const text = `${HEAD}systems:\n  broken:\n    kind: nonsense\n    host: a.example.com\n  good:\n    kind: postfix\n    host: "[10.0.0.1]"\n    mailboxes: ["not an address"]\n`;
    const ds = lintText(text);
    expect(ds.some((d) => d.ruleId === 'schema' && d.line === 6)).toBe(true);
    // a finding from a later stage about the well-formed system is still reported
    expect(ds.some((d) => d.ruleId === 'invalid-address' && d.line === 11)).toBe(true);
  });
});

describe('an unknown key of a system lists the keys of its kind', () => {
  const COMMON = 'kind, host, port, gateway, hopLimit, maxMessageSize, nullSender, routingDomain, forwardUnresolvedTo';
  const LISTS = 'mailboxes, mailboxFiles, sends, srs, directory';
  it.each([
    ['postfix', `allowed keys: ${COMMON}, localTransport, mynetworks, sasl, mydestination, ${LISTS}`],
    ['exchange', `allowed keys: ${COMMON}, ${LISTS}`],
    ['exchange-online', `allowed keys: ${COMMON}, ${LISTS}, acceptedDomains, outboundConnectors, inboundConnectors, mailUsers`],
    ['google-workspace', `allowed keys: ${COMMON}, ${LISTS}, workspaceDomains, suspended, withoutGmail, splitDelivery, dualDelivery, inboundGateways`],
  ])('kind %s', (kind, hint) => {
    const found = lintText(`${HEAD}systems:\n  a:\n    kind: ${kind}\n    host: a.example.com\n    zzz: 1\n`).filter((d) => d.ruleId === 'schema');
    expect(found.map((d) => d.message)).toEqual([`unknown key "zzz" in systems.a: ${hint}`]);
  });

  it('a kind the schema does not know: every key', () => {
    const found = lintText(`${HEAD}systems:\n  a:\n    kind: sendmail\n    host: a.example.com\n    zzz: 1\n`).filter((d) => d.ruleId === 'schema' && d.message.startsWith('unknown key'));
    expect(found[0]?.message).toMatch(/allowed keys: kind, .*, mydestination, .*, acceptedDomains, .*, inboundGateways$/);
  });
});

describe('free text that reaches artifacts stays on one line', () => {
  it.each(['cn', 'displayName', 'ou', 'mailNickname'])('a line break in a contact %s is a schema finding', (key) => {
    const text = `${HEAD}contacts:\n  - cn: x\n    targetAddress: x@example.com\n    ${key === 'cn' ? 'sn' : key}: "a\\nb"\n`;
    const found = lintText(text).filter((d) => d.ruleId === 'schema');
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toMatch(/contains a line break or control character/);
  });
});

describe('version', () => {
  it.each([
    ['missing', 'domains:\n  example.com: {}\n', 'the file is missing the required key "version"'],
    ['wrong', 'version: 2\ndomains:\n  example.com: {}\n', 'version must be 1, not 2'],
  ])('%s: one schema finding and no further analysis', (_n, text, message) => {
    expect(lintText(text).map((d) => d.message)).toEqual([message]);
  });
});
