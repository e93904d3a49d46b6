import { afterAll, describe, expect, it } from 'vitest';
import { compile, CompileError } from '../../src/compile/compile.js';
import { baseConfig, cleanup, loadConfig, type Cfg } from './support/org.js';

/**
 * System names become directory names of the build (`<system>/postfix/...`) and appear in
 * every artifact: the schema allows letters, digits, ".", "_" and "-" only, not first "."
 * or "-", so a name can neither leave the output directory nor carry markup or code.
 */

afterAll(cleanup);

/** The base organisation with the Postfix system "unix" renamed everywhere. */
function renamed(name: string): Cfg {
  const c = baseConfig();
  c.systems = Object.fromEntries(Object.entries(c.systems as Record<string, unknown>).map(([k, v]) => [k === 'unix' ? name : k, v]));
  c.policies[3].system = name;
  c.connectors[0].to = name;
  c.chains[0].order = ['exchange', name];
  return c;
}

describe('system names', () => {
  it.each(['..', '../etc', 'a/b', 'a\\b', '.hidden', '-rf', 'a b', 'a\nb', '`x`', '$(x)', "o'x", 'a|b', 'ünïx', 'x'.repeat(64), ''])('%j is refused by the schema', (name) => {
    const l = loadConfig(renamed(name));
    expect(l.result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.ruleId)).toContain('schema');
  });

  it.each(['a.b', 'A_b-1', '0x', 'x'.repeat(63)])('%j builds into its own directory', (name) => {
    const l = loadConfig(renamed(name));
    expect(l.result.errors).toBe(0);
    const paths = compile(l.model ?? fail(), {}).map((f) => f.path);
    expect(paths).toContain(`${name}/postfix/transport`);
    expect(paths.every((p) => !p.split('/').some((s) => s === '..' || s === '.' || s === ''))).toBe(true);
  });

  it('a system called "manifest.json" would collide with the manifest: the build says so', () => {
    const l = loadConfig(renamed('manifest.json'));
    expect(() => compile(l.model ?? fail(), {})).toThrow(CompileError);
  });
});

function fail(): never {
  throw new Error('no model');
}
