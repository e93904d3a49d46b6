import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rules } from '../../src/analyze/registry.js';
import { commands } from '../../src/cli/commands/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('lists every rule with its default severity and doc link', () => {
    for (const r of rules) expect(readme).toContain(`| [${r.id}](docs/rules/${r.id}.md) | ${r.defaultSeverity} |`);
  });
  it('shows usage for every command', () => {
    for (const name of Object.keys(commands)) expect(readme).toMatch(new RegExp(`chainmail ${name}\\b`));
  });
  it('starts with the two commands for a fresh machine', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
