import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze/analyze.js';
import { loadModel } from '../../src/pipeline.js';
import { writeModel } from './support.js';

/** The mail-authentication part of the model (src/normalize/mail-auth.ts) and its references. */
describe('the mail-authentication model', () => {
  it('normalises MX hosts (A-label, lower case, no root dot) with preferences 10, 20, ... unless given', () => {
    const model = loadModel(writeModel({ exchange: { host: 'mail.example.com' } }, { mx: ['MAIL.Example.com.', { host: 'MX.xn--r8jz45g.jp', preference: 5 }, 'backup.example.net'] })).model;
    expect(model?.domains.get('example.com')?.dns.mx?.map((m) => [m.preference, m.host])).toEqual([
      [10, 'mail.example.com'],
      [5, 'mx.xn--r8jz45g.jp'],
      [30, 'backup.example.net'],
    ]);
  });

  it('keeps sends and srs on the system', () => {
    const model = loadModel(writeModel({ exchange: { host: 'mail.example.com', srs: true, sends: { domains: ['Example.COM'], ip: ['192.0.2.1'], spf: ['include:spf.example.net'], dkim: ['s1'] } } })).model;
    const s = model?.systems.get('exchange');
    expect(s?.srs).toBe(true);
    expect(s?.sends?.domains.map((d) => d.domain.ascii)).toEqual(['example.com']);
    expect([s?.sends?.ip[0]?.value, s?.sends?.spf[0]?.mechanism, s?.sends?.dkim[0]?.selector]).toEqual(['192.0.2.1', 'include:spf.example.net', 's1']);
  });

  it('reports a sending domain that is not declared (undeclared-domain), and counts it as a use (no unused-domain)', () => {
    const model = loadModel(
      writeModel({ exchange: { host: 'mail.example.com', sends: { domains: ['example.com', 'other.example.net'] } }, relay: { host: 'relay.example.com', sends: { domains: ['only-sends.example.org'] } } }, {}),
    ).model;
    if (!model) throw new Error('no model');
    const findings = analyze(model)
      .filter((f) => f.ruleId === 'undeclared-domain' || f.ruleId === 'unused-domain')
      .sort((a, b) => ((a.data?.domain ?? '') < (b.data?.domain ?? '') ? -1 : 1));
    expect(findings.map((f) => [f.ruleId, f.data?.domain])).toEqual([
      ['undeclared-domain', 'only-sends.example.org'],
      ['undeclared-domain', 'other.example.net'],
    ]);
  });

  it('refuses a sending domain with a space, an "@" or a port (schema)', () => {
    const loaded = loadModel(writeModel({ exchange: { host: 'mail.example.com', sends: { domains: ['user@example.com'] } } }));
    expect(loaded.findings.map((f) => f.ruleId)).toContain('schema');
  });
});
