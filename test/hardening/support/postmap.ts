import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeConfigDir, postmapCheck } from '../../support/postfix.js';
import { findTool, run } from '../../support/tools.js';

/**
 * Builds a map with the real postmap(1) and looks every key up in one `postmap -q -` run
 * (keys on standard input, "key TAB value" lines out): what Postfix itself reads from the
 * file. postmapCheck (test/support/postfix.ts) reports the warnings of the build.
 */
export async function postmapLookupAll(content: string, keys: readonly string[]): Promise<Map<string, string>> {
  const postmap = findTool('postmap');
  if (!postmap) throw new Error('postmap not found');
  const dir = makeConfigDir('chainmail-hardening-postmap-');
  try {
    const file = join(dir, 'map');
    writeFileSync(file, content);
    const built = await run(postmap, ['-c', dir, `hash:${file}`]);
    // a warning ("expected format: key whitespace value", "duplicate entry") is a failure too
    if (built.code !== 0 || /warning:/.test(built.stderr)) throw new Error(`postmap: ${built.stderr.trim()}`);
    const r = await run(postmap, ['-c', dir, '-q', '-', `hash:${file}`], `${keys.join('\n')}\n`);
    if (r.code !== 0 && r.code !== 1) throw new Error(`postmap -q - failed: ${r.stderr.trim()}`);
    const out = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab > 0) out.set(line.slice(0, tab), line.slice(tab + 1));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { postmapCheck };
