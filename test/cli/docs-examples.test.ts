import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, run } from './support.js';

/**
 * The `chainmail route` examples of docs/cli.md are real runs: every fenced block that starts
 * with `$ chainmail route ...` shows exactly what that command prints (so the text and the
 * `--json` example describe the same routes, and a change of the engine shows up here).
 */
const doc = readFileSync(join(repoRoot, 'docs/cli.md'), 'utf8');
const examples = [...doc.matchAll(/^```[a-z]*\n\$ (chainmail route [^\n]+)\n([\s\S]*?)^```$/gm)].map((m) => ({ command: m[1] ?? '', output: m[2] ?? '' }));

describe('docs/cli.md route examples', () => {
  it('has the text and the --json example of the same addresses', () => {
    const commands = examples.map((e) => e.command);
    expect(commands).toContain('chainmail route examples/method1/chainmail.yaml carol@example.com nobody@example.com');
    expect(commands).toContain('chainmail route examples/method1/chainmail.yaml carol@example.com nobody@example.com --json');
  });

  it.each(examples)('$command prints what the page shows', async ({ command, output }) => {
    const r = await run(command.split(' ').slice(1));
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd()).toBe(output.trimEnd());
  });
});
