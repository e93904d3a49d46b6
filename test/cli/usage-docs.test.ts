import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import { SYNOPSES } from '../../src/cli/commands/synopses.js';
import { formats } from '../../src/cli/formats/index.js';
import { repoRoot } from './support.js';

/**
 * The usage lines a user reads (`chainmail --help`, the README's Usage block, docs/cli.md)
 * say the same: every command, every lint format, and required options outside brackets.
 */
const firstBlock = (text: string, after: string): string[] => {
  const from = text.indexOf(after);
  const start = text.indexOf('```\n', from) + 4;
  return text.slice(start, text.indexOf('```', start)).split('\n').filter(Boolean);
};
const readme = firstBlock(readFileSync(join(repoRoot, 'README.md'), 'utf8'), '## Usage');
const cliDoc = firstBlock(readFileSync(join(repoRoot, 'docs/cli.md'), 'utf8'), '# The chainmail command line');
const places: [string, string[]][] = [
  ['chainmail --help', Object.values(SYNOPSES).map((s) => `chainmail ${s}`)],
  ['README.md Usage', readme],
  ['docs/cli.md', cliDoc],
];

/** A usage line with its optional parts ([...], nested too) taken out. */
function required(line: string): string {
  let out = line;
  for (let prev = ''; prev !== out; ) {
    prev = out;
    out = out.replace(/\[[^[\]]*\]/g, '');
  }
  return out.replace(/\s+/g, ' ');
}
const linesOf = (lines: string[], command: string): string[] => lines.filter((l) => l.startsWith(`chainmail ${command} `) || l === `chainmail ${command}`);

describe.each(places)('the usage in %s', (_, lines) => {
  it('shows every command', () => {
    for (const name of Object.keys(commands)) expect(linesOf(lines, name).length, name).toBeGreaterThan(0);
  });

  it('lists every lint format', () => {
    const [lint] = linesOf(lines, 'lint');
    const list = /--format ([a-z|]+)/.exec(lint ?? '')?.[1]?.split('|') ?? [];
    expect([...list].sort()).toEqual(Object.keys(formats).sort());
  });

  it('shows that plan needs --out or --base', () => {
    for (const l of linesOf(lines, 'plan')) expect(required(l)).toMatch(/--out DIR|--base/);
  });

  it('shows that init needs --share and --with, or --method 2 and --remote', () => {
    for (const l of linesOf(lines, 'init')) {
      expect(required(l)).toContain('--share DOMAIN --with NAME=HOST');
      expect(required(l)).toContain('--method 2 --remote DOMAIN=HOST');
    }
  });
});
