import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../test/support/fixtures.js';
import type { SystemDecl } from '../../../model/model.js';
import { loadModel } from '../../../pipeline.js';
import { compile, CompileError } from '../../compile.js';
import { networkProblem, relayRightsLines } from './relay-rights.js';

function unix(edit: Partial<SystemDecl> = {}): SystemDecl {
  const m = loadModel(join(repoRoot, 'testdata/compile/003-postfix-gateway/chainmail.yaml'), { cwd: repoRoot }).model;
  const s = m?.systems.get('gw');
  if (!s) throw new Error('fixture does not load');
  return { ...s, ...edit };
}

/** The non-comment lines, as postconf -e gets them. */
const settings = (s: SystemDecl): string[] => relayRightsLines(s).filter((l) => !l.startsWith('#'));

describe('relay rights in main.cf', () => {
  it('grants nobody relay rights when the file names no networks and no SASL', () => {
    expect(settings(unix())).toEqual(['smtpd_relay_restrictions = reject_unauth_destination']);
  });

  it('lets exactly the networks of the file relay, with mynetworks written out', () => {
    expect(settings(unix({ mynetworks: ['127.0.0.0/8', '[::1]/128'] }))).toEqual([
      'mynetworks = 127.0.0.0/8 [::1]/128',
      'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
    ]);
  });

  it('clears mynetworks for an empty list, and permits no network', () => {
    expect(settings(unix({ mynetworks: [] }))).toEqual(['mynetworks =', 'smtpd_relay_restrictions = reject_unauth_destination']);
  });

  it('lets SASL-authenticated clients relay only when sasl is true, AUTH only over TLS', () => {
    expect(settings(unix({ sasl: true }))).toEqual([
      'smtpd_sasl_auth_enable = yes',
      'smtpd_tls_auth_only = yes',
      'smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination',
    ]);
  });

  it.each([
    ['127.0.0.0/8', undefined],
    ['192.0.2.10', undefined],
    ['0.0.0.0/0', undefined],
    ['[::1]/128', undefined],
    ['[2001:db8::]/32', undefined],
    ['[::ffff:192.0.2.0]/120', undefined],
    ['192.0.2.10/24', 'has host bits set: write "192.0.2.0/24"'],
    ['[2001:db8::1]/32', 'has host bits set: write "[2001:db8::]/32"'],
    ['300.1.1.1', 'is no IPv4 address'],
    ['10.0.0.0/33', 'has a prefix longer than 32 bits'],
    ['[1.2.3.4]', 'is no IPv6 address'],
    ['[::1]/129', 'has a prefix longer than 128 bits'],
  ])('mynetworks entry %s: %s', (entry, problem) => {
    expect(networkProblem(entry)).toBe(problem);
  });

  it('refuses to build a mynetworks entry Postfix would refuse', () => {
    const m = loadModel(join(repoRoot, 'testdata/compile/003-postfix-gateway/chainmail.yaml'), { cwd: repoRoot }).model;
    if (!m) throw new Error('fixture does not load');
    const gw = m.systems.get('gw');
    if (!gw) throw new Error('no gw');
    (m.systems as Map<string, SystemDecl>).set('gw', { ...gw, mynetworks: ['192.0.2.10/24'] });
    expect(() => compile(m, { targets: ['postfix'] })).toThrow(CompileError);
    expect(() => compile(m, { targets: ['postfix'] })).toThrow('mynetworks entry "192.0.2.10/24" of system "gw" has host bits set: write "192.0.2.0/24"');
  });
});
