import { describe, expect, it } from 'vitest';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { loadModel } from '../../src/pipeline.js';
import { predictRcpt } from '../../src/probe/predict.js';
import { probeSet, SAMPLE_SIZE } from '../../src/probe/probe-set.js';

const FIXTURE = new URL('../../testdata/compile/003-postfix-gateway/chainmail.yaml', import.meta.url).pathname;
const loaded = loadModel(FIXTURE);
const model = loaded.model!;
const gw = compileRoutingTables(model).get('gw')!;

describe('the probe set of a system', () => {
  it('is deterministic', () => {
    expect(probeSet(model, gw, 'all')).toEqual(probeSet(model, gw, 'all'));
    expect(probeSet(model, gw, 'sample')).toEqual(probeSet(model, gw, 'sample'));
  });

  it('samples at most 3 per class and domain, a subset of all', () => {
    const all = probeSet(model, gw, 'all');
    const sample = probeSet(model, gw, 'sample');
    const count = new Map<string, number>();
    for (const p of sample) {
      const k = `${p.class} ${p.address.slice(p.address.lastIndexOf('@'))}`;
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    expect(Math.max(...count.values())).toBeLessThanOrEqual(SAMPLE_SIZE);
    expect(sample.every((p) => all.includes(p) || all.some((q) => q.address === p.address))).toBe(true);
    // example.com has 5 other-system recipients at the gateway: the sample takes 3
    expect(all.filter((p) => p.class === 'other-system' && p.address.endsWith('@example.com'))).toHaveLength(5);
    expect(sample.filter((p) => p.class === 'other-system' && p.address.endsWith('@example.com'))).toHaveLength(3);
  });

  it('covers every class, with the engine expecting what the class means', () => {
    const all = probeSet(model, gw, 'all');
    const by = (cls: string) => all.filter((p) => p.class === cls).map((p) => [p.address, predictRcpt(gw, p.address).reply]);
    expect(by('mailbox')).toEqual([['ops@example.com', 'accept'], ['postmaster@example.net', 'accept']]);
    expect(by('alias')).toEqual([['abuse@example.net', 'accept']]);
    expect(by('contact')).toEqual([['pat@example.net', 'accept']]);
    expect(by('u-label')).toEqual([['yamada@例え.jp', 'accept']]);
    expect(by('foreign').map(([, r]) => r)).toEqual(['refuse']);
    expect(by('subdomain').every(([, r]) => r === 'refuse')).toBe(true);
    expect(by('other-domain').map(([a]) => String(a).replace(/-[0-9a-f]+@/, '-X@'))).toEqual(['chainmail-probe-X@example.local']);
    expect(all.every((p) => !/[\r\n<> ]/.test(p.address))).toBe(true);
  });

  it('points each probe at the YAML object it stands for', () => {
    const all = probeSet(model, gw, 'all');
    const line = (address: string) => {
      const p = all.find((x) => x.address === address);
      return p && loaded.locator.lines(loaded.locator.span(p.at)).line;
    };
    const text = loaded.sources.get(loaded.file)?.text ?? '';
    const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    expect(line('bob@example.com')).toBe(lineOf('- bob@example.com'));
    expect(line('pat@example.net')).toBe(lineOf('proxyAddresses: [pat@example.net]'));
    expect(line('abuse@example.net')).toBe(lineOf('aliases: [abuse@example.net]'));
  });
});
