import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { compile } from '../../src/compile/compile.js';
import type { Model } from '../../src/model/model.js';
import { loadModel } from '../../src/pipeline.js';
import { repoRoot } from '../support/fixtures.js';
import { ruleCases } from '../support/rule-cases.js';
import { PS_NASTY } from './support/ps-nasty.js';
import { loadConfig, withValues } from './support/org.js';

/**
 * Issue 17: every PowerShell script chainmail writes (setup.ps1 for Exchange, setup-exo.ps1
 * for Exchange Online) parses without error in a real PowerShell grammar: tree-sitter's
 * (airbus-cert/tree-sitter-powershell, its WebAssembly build through web-tree-sitter, no
 * native addon), for every example and with the hostile values of the injection tests.
 * A parse error or a node the parser had to invent (MISSING) fails the test; a script
 * broken on purpose must fail it, so the check can fail.
 */
let parser: Parser;
beforeAll(async () => {
  await Parser.init();
  const wasm = createRequire(import.meta.url).resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');
  parser = new Parser();
  parser.setLanguage(await Language.load(wasm));
});

/** The ERROR and MISSING nodes of a script, with their 1-based line and column. */
function problems(script: string): string[] {
  // the UTF-8 byte order mark is an encoding marker for PowerShell, not a token
  const tree = parser.parse(script.replace(/^\uFEFF/, ''));
  if (!tree) return ['no tree'];
  const out: string[] = [];
  const visit = (n: Node): void => {
    if (n.isError || n.isMissing) out.push(`${n.isMissing ? 'MISSING' : 'ERROR'} ${n.type} at ${n.startPosition.row + 1}:${n.startPosition.column + 1}`);
    for (const c of n.children) if (c && c.hasError) visit(c);
    if (!n.hasError) return;
    for (const c of n.children) if (c && !c.hasError && (c.isMissing || c.isError)) visit(c);
  };
  visit(tree.rootNode);
  if (out.length === 0 && tree.rootNode.hasError) out.push('hasError without an ERROR node');
  tree.delete();
  return out;
}

function scripts(model: Model): { path: string; content: string }[] {
  return compile(model, { targets: ['exchange', 'cloud'] })
    .filter((f) => f.path.endsWith('.ps1'))
    .map((f) => ({ path: f.path, content: String(f.content) }));
}

describe('the grammar check can fail', () => {
  it.each([
    ['an unclosed block', "if (-not $c) { New-AcceptedDomain -Name 'a'\n"],
    ['a quote that is not doubled', "New-MailContact -Name 'O'Brien' -ExternalEmailAddress 'a@b.c\n"],
    ['an unclosed hashtable', "$params = @{ RecipientDomains = @('a'); UseMXRecord = $false\n"],
  ])('%s is an error', (_, script) => {
    expect(problems(script)).not.toEqual([]);
  });
  it('a well-formed script is not', () => {
    expect(problems("$params = @{ A = 'x''y'; B = @('a', 'b') }\nif (-not $c) { New-X -Name 'a' @params | Out-Null }\nelse { Set-X -Identity $c.Identity @params }\n")).toEqual([]);
  });
});

const examples = readdirSync(join(repoRoot, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(repoRoot, 'examples', d.name, 'chainmail.yaml')))
  .map((d) => d.name);

describe.each(examples)('examples/%s', (name) => {
  it('every PowerShell script parses without error', () => {
    const loaded = loadModel(`examples/${name}/chainmail.yaml`, { cwd: repoRoot });
    if (!loaded.model) throw new Error('no model');
    for (const s of scripts(loaded.model)) expect({ path: s.path, problems: problems(s.content) }).toEqual({ path: s.path, problems: [] });
  });
});

describe.each(['cn', 'displayName', 'policy name', 'connector name', 'chain name', 'policy filter'])('setup.ps1 with a hostile %s', (field) => {
  it.each(PS_NASTY)('%j parses without error', (value) => {
    const { model } = loadConfig(withValues({ [field]: value }));
    if (!model) return; // a value the schema refuses writes no script
    const all = scripts(model);
    expect(all.length).toBeGreaterThan(0);
    for (const s of all) expect({ path: s.path, problems: problems(s.content) }).toEqual({ path: s.path, problems: [] });
  });
});

describe('setup-exo.ps1 with hostile names', () => {
  const cases = ruleCases('ps-grammar', import.meta.url);
  const hybrid = readFileSync(join(repoRoot, 'examples/hybrid/chainmail.yaml'), 'utf8');
  it.each(PS_NASTY)('%j parses without error', (value) => {
    const c = parse(hybrid);
    c.systems.m365.outboundConnectors[0].name = value;
    c.systems.m365.inboundConnectors[0].name = value;
    c.systems.m365.mailUsers[0].name = value;
    c.systems.m365.mailUsers[1] = { ...c.systems.m365.mailUsers[1], name: value, type: 'mailContact' };
    const { model } = cases.load(c);
    if (!model) return; // a value the schema refuses (a control character) writes no script
    const exo = scripts(model).filter((s) => s.path.endsWith('setup-exo.ps1'));
    expect(exo).toHaveLength(1);
    expect(problems(exo[0]?.content ?? '')).toEqual([]);
  });
});
