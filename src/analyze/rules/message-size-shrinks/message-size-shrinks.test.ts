import { describe, expect, it } from 'vitest';
import { ruleCases, type Cfg } from '../../../../test/support/rule-cases.js';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import type { Finding } from '../../../diagnostics/diagnostic.js';

const RULE = 'message-size-shrinks';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const cases = ruleCases(RULE, import.meta.url);
const run = (edit: (c: Cfg) => void): Finding[] => cases.findings('invalid/smaller-later.yaml', edit);

describe('message-size-shrinks', () => {
  it('reports the later system at its limit, with the earlier one and the fix', () => {
    const f = run(() => undefined);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      at: { path: ['systems', 'unix', 'maxMessageSize'] },
      data: { system: 'unix', bytes: '10485760', earlier: 'exchange', earlierBytes: '36700160', chain: 'example.com shared' },
      message:
        'system "unix" accepts messages up to 10,485,760 bytes, less than "exchange" before it in chain "example.com shared" (36,700,160 bytes): a message in between is accepted by "exchange", refused by "unix" (552 5.3.4) and bounced',
    });
    expect(f[0]?.fix?.yaml).toBe('maxMessageSize: 36700160');
    expect(f[0]?.related?.map((r) => r.at)).toEqual([{ path: ['systems', 'exchange', 'maxMessageSize'] }, { path: ['chains', 0, 'order', 1] }]);
  });

  it('compares with the largest earlier limit, not only the one just before', () => {
    const f = run((c) => {
      c.systems.hub = { kind: 'relay', host: '[192.168.1.5]', mailboxes: [], maxMessageSize: 20_000_000 };
      c.chains[0].order = ['exchange', 'hub', 'unix'];
    });
    expect(f.map((x) => x.data)).toEqual([
      { system: 'hub', bytes: '20000000', earlier: 'exchange', earlierBytes: '36700160', chain: 'example.com shared' },
      { system: 'unix', bytes: '10485760', earlier: 'exchange', earlierBytes: '36700160', chain: 'example.com shared' },
    ]);
  });

  it.each<[string, (c: Cfg) => void]>([
    ['the later system takes more', (c) => (c.systems.unix.maxMessageSize = 50_000_000)],
    ['the earlier limit is unknown (Exchange without maxMessageSize)', (c) => delete c.systems.exchange.maxMessageSize],
    ['the later limit is unknown (a relay without maxMessageSize)', (c) => {
      c.systems.unix.kind = 'relay';
      delete c.systems.unix.maxMessageSize;
    }],
    ['the order runs the other way', (c) => (c.chains[0].order = ['unix', 'exchange'])],
  ])('is quiet when %s', (_, edit) => {
    expect(run(edit)).toEqual([]);
  });
});
