import { describe, expect, it } from 'vitest';
import { postconfCheck, postmapCheck, postmapQuery } from '../support/postfix.js';
import { requireTools } from '../support/tools.js';

/** The helpers other tests use to run the real Postfix tools on generated files. */
const tools = requireTools('postmap', 'postconf');

describe.skipIf(!tools)('postmapCheck / postmapQuery (real postmap)', () => {
  it('accepts a good map and reports a bad line and a duplicate key', async () => {
    expect(await postmapCheck({ name: 'transport', content: 'example.com relay:[192.168.1.10]:25\n' })).toEqual({ code: 0, warnings: [], errors: [] });
    const bad = await postmapCheck({ name: 'transport', content: 'example.com relay:[192.168.1.10]\nlonely\nexample.com smtp:x\n' });
    expect(bad.warnings).toEqual(['transport, line 2: expected format: key whitespace value', 'transport.db: duplicate entry: "example.com"']);
  });

  it('looks keys up in the built map', async () => {
    const map = { name: 'virtual', content: '# comment\ninternetuser@xo.one internetUser@remote.domain\n' };
    expect(await postmapQuery(map, 'internetuser@xo.one')).toBe('internetUser@remote.domain');
    expect(await postmapQuery(map, 'INTERNETUSER@XO.ONE')).toBe('internetUser@remote.domain');
    expect(await postmapQuery(map, 'nobody@xo.one')).toBeUndefined();
  });

  it('reports a map type that is not available as an error', async () => {
    const r = await postmapCheck({ name: 'x', content: 'a b\n' }, 'cdb');
    // postfix-cdb is not installed by .ci/install-system-packages.sh.
    expect(r.code).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/unsupported dictionary type: cdb/);
  });
});

describe.skipIf(!tools)('postconfCheck (real postconf)', () => {
  it('applies main.cf lines and shows the result', async () => {
    const r = await postconfCheck(['# generated', 'relay_domains = example.com', 'transport_maps = hash:/etc/postfix/transport', '']);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.effective).toContain('relay_domains = example.com\n');
    expect(r.effective).toContain('transport_maps = hash:/etc/postfix/transport\n');
  });

  it('reports unknown parameters and overridden lines', async () => {
    const r = await postconfCheck('relay_domain = example.com\nrelay_domains = a.example\nrelay_domains = b.example\n');
    expect(r.warnings).toEqual(["ignoring earlier request: 'relay_domains = a.example'", 'main.cf: unused parameter: relay_domain=example.com']);
  });

  it('reports a line that is not name = value', async () => {
    const r = await postconfCheck(['relay_domains example.com']);
    expect(r.code).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/missing '=' after attribute name/);
  });
});
