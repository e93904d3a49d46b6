// Prints the top entries of a V8 CPU profile (node --cpu-prof): self time by function and
// inclusive ("total") time by function, with file:line, so a profile can be read without
// Chrome DevTools.
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/cli/bin.js lint big.yaml
//   node bench/profile-top.mjs /tmp/prof/*.cpuprofile [--top 25] [--filter src/]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** Self and inclusive milliseconds by function of one .cpuprofile. */
export function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) dt.set(samples[i], (dt.get(samples[i]) ?? 0) + (timeDeltas[i + 1] ?? 0) / 1000);
  const key = (n) => {
    const f = n.callFrame;
    const url = f.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist|src)\//, '$1/');
    return `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}`;
  };
  const self = new Map();
  const total = new Map();
  let all = 0;
  for (const [id, ms] of dt) {
    all += ms;
    const n = byId.get(id);
    self.set(key(n), (self.get(key(n)) ?? 0) + ms);
    // inclusive: count each function once per stack (recursion)
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + ms);
    }
  }
  return { all, self, total };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, filter: { type: 'string' } } });
  const top = Number(values.top);
  for (const file of positionals) {
    const { all, self, total } = summarize(JSON.parse(readFileSync(file, 'utf8')));
    const show = (title, m) => {
      console.log(`\n${title} (${file}, ${all.toFixed(0)} ms sampled)`);
      const rows = [...m].filter(([k]) => !values.filter || k.includes(values.filter)).sort((a, b) => b[1] - a[1]).slice(0, top);
      for (const [k, ms] of rows) console.log(`${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / all).toFixed(1).padStart(5)}%  ${k}`);
    };
    show('self time', self);
    show('total time', total);
  }
}
