import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile.js';
import { emit, withoutHeader } from '../../src/compile/emit.js';
import { loadModel } from '../../src/pipeline.js';

/** docs/dns.md shows the method 1 example's records: they must be what build writes (header aside). */
describe('docs/dns.md', () => {
  const doc = readFileSync(new URL('../../docs/dns.md', import.meta.url), 'utf8');
  const model = loadModel(new URL('../../examples/method1/chainmail.yaml', import.meta.url).pathname).model;
  if (!model) throw new Error('no model');
  const files = emit(compile(model, { targets: ['dns'] }), { version: 'x', input: { file: 'chainmail.yaml', sha256: '0', files: [] } });

  it.each(files.filter((f) => f.path.startsWith('dns/')).map((f) => [f.path, f.content as string]))('shows %s as build writes it', (path, content) => {
    expect(doc).toContain(withoutHeader(path, content).trim());
  });
});
