import { describe, expect, it } from 'vitest';
import { compileCloud } from '../../src/compile/targets/cloud/cloud.js';
import { loadModel } from '../../src/pipeline.js';
import { ruleCases } from '../support/rule-cases.js';
import { repoRoot } from '../support/fixtures.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Issue 17: the cloud target's goldens (examples/hybrid, examples/google-split) and its quoting of hostile names. */
describe.each(['hybrid', 'google-split'])('the cloud target for examples/%s', (name) => {
  it('matches its golden files', async () => {
    const loaded = loadModel(`examples/${name}/chainmail.yaml`, { cwd: repoRoot });
    if (!loaded.model) throw new Error('no model');
    const files = compileCloud(loaded.model);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) await expect(f.content).toMatchFileSnapshot(`__golden__/cloud/${name}/${f.path}`);
  });
});

describe('setup-exo.ps1 quoting', () => {
  const cases = ruleCases('cloud-target', import.meta.url);
  const hostile = "x'; Remove-Item -Recurse C:\\ ; '\u2019$(whoami)`\n#>";
  it('keeps hostile names inside single-quoted strings and comments', () => {
    const c = parse(readFileSync(join(repoRoot, 'examples/hybrid/chainmail.yaml'), 'utf8'));
    c.systems.m365.outboundConnectors[0].name = hostile.replace('\n', ' ');
    c.systems.m365.mailUsers[0].name = hostile.replace('\n', ' ');
    c.systems.m365.mailUsers[1].type = 'mailContact';
    const loaded = cases.load(c);
    if (!loaded.model) throw new Error('no model');
    const ps1 = compileCloud(loaded.model)[0]?.content ?? '';
    // a quote is doubled (the typographic one too), so the string never ends early
    expect(ps1).toContain("'x''; Remove-Item -Recurse C:\\ ; ''\u2019\u2019$(whoami)` #>'");
    expect(ps1).not.toMatch(/[^']'; Remove-Item/);
    expect(ps1).toContain('New-MailContact');
  });
});
