/**
 * Pathological organisations for the resource tests: long chains, long rewrite chains,
 * connector cycles. Each is written as flow-style YAML, one object per line, so that the
 * file stays small and the time goes to the linter, not the parser.
 */

const HEADER = ['version: 1', 'directory: { baseDn: "dc=xo,dc=one" }'];

/**
 * A chain of `n` systems sharing shared.example (KB 321721 rule 2 at scale): s0 is the
 * gateway, each forwards unresolved recipients to the next through a connector, the last is
 * authoritative.
 */
export function longChain(n: number): string {
  const out = [...HEADER, 'domains:', '  shared.example: {}', 'systems:'];
  for (let i = 0; i < n; i++) {
    out.push(`  s${i}: { kind: postfix, host: "[10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}]", gateway: ${i === 0}, hopLimit: 1000, mailboxes: [u${i}@shared.example] }`);
  }
  out.push('policies:');
  for (let i = 0; i < n; i++) out.push(`  - { name: p${i}, system: s${i}, addresses: [{ space: "@shared.example", primary: true, authoritative: ${i === n - 1} }] }`);
  out.push('connectors:');
  for (let i = 0; i + 1 < n; i++) out.push(`  - { name: c${i}, system: s${i}, addressSpaces: [shared.example], to: s${i + 1}, allowRelay: true }`);
  out.push('chains:', `  - { name: long, domains: [shared.example], order: [${Array.from({ length: n }, (_, i) => `s${i}`).join(', ')}] }`);
  return `${out.join('\n')}\n`;
}

/**
 * `n` contacts on one Exchange system whose targetAddresses form one rewrite chain:
 * c0@xo.one -> c1@xo.one -> ... -> c(n-1)@xo.one -> last@remote.example.
 */
export function longRewriteChain(n: number): string {
  const out = [
    ...HEADER,
    'domains:',
    '  xo.one: {}',
    '  remote.example: { remote: true }',
    'systems:',
    '  exchange: { kind: exchange, host: mail.xo.one, gateway: true, mailboxes: [admin@xo.one] }',
    'policies:',
    '  - { name: Default Policy, system: exchange, default: true, addresses: [{ space: "@xo.one", primary: true, authoritative: true }] }',
    '  - { name: remote, system: exchange, filter: null, addresses: [{ space: "@remote.example", authoritative: false }] }',
    'connectors:',
    '  - { name: out, system: exchange, addressSpaces: [remote.example], smartHosts: ["[192.0.2.25]"], allowRelay: true }',
    'contacts:',
  ];
  for (let i = 0; i < n; i++) {
    const target = i + 1 < n ? `c${i + 1}@xo.one` : 'last@remote.example';
    out.push(`  - { cn: c${i}, mailNickname: c${i}, targetAddress: ${target}, proxyAddresses: [c${i}@xo.one] }`);
  }
  return `${out.join('\n')}\n`;
}

/** `n` systems that all accept loop.example non-authoritatively, each with a connector to the next, the last back to the first. */
export function connectorCycle(n: number): string {
  const out = [...HEADER, 'domains:', '  loop.example: {}', 'systems:'];
  for (let i = 0; i < n; i++) out.push(`  s${i}: { kind: other, host: "[10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}]", gateway: ${i === 0} }`);
  out.push('policies:');
  for (let i = 0; i < n; i++) out.push(`  - { name: p${i}, system: s${i}, addresses: [{ space: "@loop.example", primary: true, authoritative: false }] }`);
  out.push('connectors:');
  for (let i = 0; i < n; i++) out.push(`  - { name: c${i}, system: s${i}, addressSpaces: [loop.example], to: s${(i + 1) % n}, allowRelay: true }`);
  return `${out.join('\n')}\n`;
}
