import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';
import { loadModel } from '../../../pipeline.js';

const RULE = 'schema';
describeRuleFixtures(RULE, new URL('.', import.meta.url).pathname);

const tmp = mkdtempSync(join(tmpdir(), `chainmail-${RULE}-`));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;

/** Loads YAML text as a file: load and validate report schema findings. */
function load(text: string): ReturnType<typeof loadModel> {
  const file = join(tmp, `${runs++}.yaml`);
  writeFileSync(file, text);
  return loadModel(file, { cwd: tmp });
}

const SYSTEMS = 'version: 1\ndomains: { example.com: {} }\nsystems:\n  unix: { kind: postfix, host: "[192.168.1.10]" }\n';

describe('schema', () => {
  it('reports an unknown key with a did-you-mean, at the key', () => {
    const loaded = load(`${SYSTEMS}  exchange: { kind: exchange, host: mail.example.com, gatway: true }\n`);
    const [f] = loaded.findings;
    expect(f).toMatchObject({ ruleId: RULE, at: { path: ['systems', 'exchange', 'gatway'], key: true }, data: { key: 'gatway', suggestion: 'gateway' } });
    expect(f?.message).toBe('unknown key "gatway" in systems.exchange: did you mean "gateway"?');
  });

  it('reports a wrong enum value with the allowed values', () => {
    const [f] = load(`${SYSTEMS}  exchange: { kind: exchang, host: mail.example.com }\n`).findings;
    expect(f).toMatchObject({ ruleId: RULE, at: { path: ['systems', 'exchange', 'kind'] } });
    expect(f?.message).toBe('systems.exchange.kind is "exchang": must be one of "exchange", "postfix", "relay", "exchange-online", "google-workspace", "other" (did you mean "exchange"?)');
  });

  it('leaves the object that fails out of the model and keeps the rest', () => {
    const loaded = load(`${SYSTEMS}  exchange: { kind: exchang, host: mail.example.com }\n`);
    expect([...(loaded.model?.systems.keys() ?? [])]).toEqual(['unix']);
    expect([...(loaded.model?.rejected.systems ?? [])]).toEqual(['exchange']);
  });
});
