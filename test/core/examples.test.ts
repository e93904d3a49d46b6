import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { lint } from '../../src/analyze/lint.js';
import { loadModel } from '../../src/pipeline.js';
import { chainmailSchema } from '../../src/validate/validate.js';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js').default;
const root = new URL('../..', import.meta.url).pathname;
const examples = readdirSync(join(root, 'examples'))
  .map((d) => `examples/${d}/chainmail.yaml`)
  .filter((f) => existsSync(join(root, f)));

describe('the bundled examples', () => {
  it('are there: the seed\'s method 1 and 2, forests, the IDN chain', () => {
    expect(examples).toEqual(expect.arrayContaining(['examples/method1/chainmail.yaml', 'examples/method2/chainmail.yaml', 'examples/forests/chainmail.yaml', 'examples/idn-chain/chainmail.yaml']));
  });

  it.each(examples)('%s validates against the published JSON Schema (plain ajv, as an editor would)', (file) => {
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(chainmailSchema);
    const ok = validate(parse(readFileSync(join(root, file), 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(examples)('%s lints clean and carries the yaml-language-server modeline', (file) => {
    const r = lint(loadModel(file, { cwd: root }));
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.ruleId} ${d.message}`)).toEqual([]);
    expect(readFileSync(join(root, file), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/chainmail\.schema\.json$/m);
  });
});
