import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfigDir, postconfCheck, postmapCheck, postmapQuery, type MapType } from '../support/postfix.js';
import { findTool, requireTools, run } from '../support/tools.js';
import { rmSync } from 'node:fs';
import { buildCase, buildCases } from './cases.js';

/**
 * Every Postfix artifact of every golden case goes through the real tools: each map through
 * postmap (no warning, no error) and back through postmap -q; each main.cf line through
 * postconf -c <tmpdir> -e, read back with postconf -n (where Postfix reports unknown
 * parameters) without a warning.
 */
const tools = requireTools('postmap', 'postconf');

/** Map types this Postfix can build (postconf -m); lmdb needs the postfix-lmdb package. */
async function mapTypes(): Promise<Set<string>> {
  const dir = makeConfigDir();
  try {
    const r = await run(findTool('postconf') ?? 'postconf', ['-c', dir, '-m']);
    return new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface PostfixSet {
  readonly id: string;
  readonly system: string;
  readonly type: MapType;
  readonly files: Map<string, Buffer>;
}

describe.skipIf(!tools)('Postfix artifacts accepted by the real postmap and postconf', () => {
  const sets: PostfixSet[] = [];
  let types = new Set<string>();

  beforeAll(async () => {
    types = await mapTypes();
    for (const c of buildCases) {
      const r = await buildCase(c);
      expect(r.code, r.stderr).toBe(0);
      const type: MapType = c.args.includes('lmdb') ? 'lmdb' : 'hash';
      const systems = new Set([...r.files.keys()].filter((p) => p.includes('/postfix/')).map((p) => p.split('/')[0] ?? ''));
      for (const system of systems) {
        const files = new Map([...r.files].filter(([p]) => p.startsWith(`${system}/postfix/`)).map(([p, b]) => [p.slice(`${system}/postfix/`.length), b]));
        sets.push({ id: c.id, system, type, files });
      }
    }
    expect(sets.length).toBeGreaterThan(0);
  });

  it('postmap builds every map without a warning', async () => {
    for (const s of sets) {
      if (!types.has(s.type)) {
        console.warn(`skipping postmap ${s.type}: for ${s.id}/${s.system}: this Postfix has no ${s.type} support (install postfix-${s.type})`);
        continue;
      }
      for (const [name, content] of s.files) {
        if (name === 'main.cf') continue;
        const r = await postmapCheck({ name, content }, s.type);
        expect({ map: `${s.id}/${s.system}/${name}`, ...r }).toEqual({ map: `${s.id}/${s.system}/${name}`, code: 0, warnings: [], errors: [] });
      }
    }
  });

  it('postmap -q reads every entry back as written', async () => {
    for (const s of sets.filter((x) => x.type === 'hash')) {
      for (const [name, content] of s.files) {
        if (name === 'main.cf') continue;
        const entries = content
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== '' && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as const);
        // a sample keeps this fast: the first, the last and one in the middle
        const sample = [...new Set([entries[0], entries[Math.floor(entries.length / 2)], entries[entries.length - 1]])].filter((e) => e !== undefined);
        for (const [key, value] of sample) {
          expect(await postmapQuery({ name, content }, key), `${s.id}/${s.system}/${name} ${key}`).toBe(value);
        }
      }
    }
  });

  it('postconf -e applies every main.cf line without a warning', async () => {
    for (const s of sets) {
      const mainCf = s.files.get('main.cf')?.toString('utf8') ?? '';
      const lines = mainCf.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      expect(lines.length).toBeGreaterThan(5);
      const r = await postconfCheck(lines);
      expect({ system: `${s.id}/${s.system}`, code: r.code, warnings: r.warnings, errors: r.errors }).toEqual({ system: `${s.id}/${s.system}`, code: 0, warnings: [], errors: [] });
      // postconf -n shows each parameter exactly as main.cf sets it
      const effective = new Set(r.effective.split('\n'));
      for (const line of lines) expect(effective.has(line), `${s.id}/${s.system}: ${line}`).toBe(true);
    }
  });
});
