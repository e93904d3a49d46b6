import type { SystemKind } from '../model/model.js';
import { scalar } from './yaml-text.js';

/** A system of a starter file: its name, kind, and how the others reach it. */
export interface StarterSystem {
  readonly name: string;
  readonly kind: SystemKind;
  /** `name` or `[ip-or-name]`, without a port. */
  readonly host: string;
  readonly port?: number;
}

/** Method 1: systems that share one domain, forwarding in order (seed steps 1-4). */
export interface Method1Options {
  readonly method: 1;
  /** The internet gateway: the first system of the chain. */
  readonly gateway: StarterSystem;
  /** The systems after the gateway, in forwarding order; the last is authoritative. */
  readonly chain: readonly StarterSystem[];
  /** The shared domain. */
  readonly share: string;
  /** The private default space of an Exchange gateway (step 1), e.g. `example.local`. */
  readonly privateSpace: string;
  readonly name?: string;
  /** What the `yaml-language-server` modeline points at. */
  readonly schemaRef: string;
}

/** A domain hosted outside the organisation and the smart host that reaches it. */
export interface StarterRemote {
  readonly domain: string;
  /** A host spec, bracketed when it is an IP address: `[10.1.1.1]`, `mx.remote.domain:2525`. */
  readonly smartHost: string;
}

/** Method 2: Exchange as a mail switch with contacts for remote domains. */
export interface Method2Options {
  readonly method: 2;
  readonly gateway: StarterSystem;
  /** The organisation's own domain, where contacts get their secondary addresses. */
  readonly domain: string;
  readonly remotes: readonly StarterRemote[];
  /** The directory's naming context, e.g. `dc=example,dc=com`. */
  readonly baseDn: string;
  readonly name?: string;
  readonly schemaRef: string;
}

/** What `chainmail init` writes. */
export type StarterOptions = Method1Options | Method2Options;

/**
 * A commented starter chainmail file for KB 321721 method 1 or method 2. Pure: the options
 * in, the file's text out (LF, final newline). The comments name the seed's steps, so the
 * file explains itself; the sample mailboxes and contact are placeholders to replace.
 */
export function starter(options: StarterOptions): string {
  const lines = options.method === 1 ? method1(options) : method2(options);
  return `${lines.join('\n')}\n`;
}

const flow = (items: readonly string[]): string => `[${items.map(scalar).join(', ')}]`;

/** `a`, `a and b`, `a, b and c`. */
const andList = (items: readonly string[]): string =>
  items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;

function systemLines(s: StarterSystem, extra: readonly string[]): string[] {
  return [
    `  ${scalar(s.name)}:`,
    `    kind: ${s.kind}`,
    `    host: ${scalar(s.host)}`,
    ...(s.port !== undefined && s.port !== 25 ? [`    port: ${s.port}`] : []),
    ...extra,
  ];
}

/** The private space of an Exchange system after the gateway: its own name under `.local`. */
export function privateSpaceOf(system: StarterSystem, opts: Method1Options): string {
  const label = system.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'system';
  return system === opts.gateway ? opts.privateSpace : `${label}.local`;
}

function method1(o: Method1Options): string[] {
  const all = [o.gateway, ...o.chain];
  const last = all[all.length - 1] ?? o.gateway;
  const names = all.map((s) => s.name);
  // An authoritative Exchange system at the end of the chain reaches the other systems'
  // recipients only through mail contacts in a routing domain of each (docs/routing.md):
  // each earlier system names its private space as its routing domain, with a way back.
  const routed = last.kind === 'exchange' ? all.slice(0, -1) : [];
  const spaced = all.filter((s) => s.kind === 'exchange' || routed.includes(s));
  const sample = (i: number): string => (i === 0 ? `administrator@${o.share}` : `user${i}@${o.share}`);
  const out: string[] = [
    `# yaml-language-server: $schema=${o.schemaRef}`,
    `# A chainmail starter for Microsoft KB 321721 method 1: ${andList(names)} share ${o.share}.`,
    `# ${o.gateway.name} is the internet gateway. Each system delivers the recipients it has and`,
    `# forwards the rest to the next system of the chain; the last one, ${last.name}, is the only`,
    '# authoritative one and bounces unknown recipients (rules 1 and 2 of the seed).',
    '# Replace the sample mailboxes, then run: chainmail lint FILE && chainmail test FILE',
    'version: 1',
    `name: ${scalar(o.name ?? `${o.share} shared by ${andList(names)}`)}`,
    '',
    '# every address space used anywhere in this file, declared once',
    'domains:',
  ];
  for (const s of spaced) {
    const what = s.kind === 'exchange' ? `private default space of ${s.name} (step 1; need not exist in DNS)` : `routing domain of ${s.name} (need not exist in DNS)`;
    out.push(`  ${scalar(privateSpaceOf(s, o))}: { description: ${scalar(what)} }`);
  }
  out.push(`  ${scalar(o.share)}: { description: ${scalar(`shared by ${andList(names)}`)} }`, '', 'systems:');
  all.forEach((s, i) => {
    const extra: string[] = [];
    if (i === 0) extra.push(`    gateway: true                     # the MX: receives mail for ${o.share} from the internet`);
    if (s.kind === 'exchange') extra.push('    forwardUnresolvedTo: null         # step 3: no "forward unresolved recipients"; the connector does it');
    if (routed.includes(s)) extra.push(`    routingDomain: ${scalar(privateSpaceOf(s, o))}   # ${last.name} reaches ${s.name}'s recipients through mail contacts to it`);
    // step 1 (g): an Exchange system's mailboxes also get an address in its private space
    const entry =
      spaced.includes(s)
        ? `{ address: ${scalar(sample(i))}, aliases: [${scalar(`${sample(i).split('@')[0]}@${privateSpaceOf(s, o)}`)}] }`
        : scalar(sample(i));
    extra.push(`    mailboxes:                        # every recipient ${s.name} delivers itself (or mailboxFiles: [FILE])`, `      - ${entry}`);
    out.push(...systemLines(s, extra));
  });
  out.push('', '# which address spaces each system accepts, and with what authority', 'policies:');
  all.forEach((s, i) => {
    const isLast = i === all.length - 1;
    if (s.kind === 'exchange') {
      out.push(
        `  # step 1: ${s.name}'s Default Policy keeps a private primary space it is authoritative for`,
        '  - name: Default Policy',
        `    system: ${scalar(s.name)}`,
        '    default: true',
        '    addresses:',
        `      - { space: ${scalar(`@${privateSpaceOf(s, o)}`)}, primary: true, authoritative: true }`,
      );
    } else if (routed.includes(s)) {
      out.push(
        `  # ${s.name}'s routing domain, where each of its recipients has an address`,
        `  - name: ${scalar(`Routing domain ${privateSpaceOf(s, o)}`)}`,
        `    system: ${scalar(s.name)}`,
        '    addresses:',
        `      - { space: ${scalar(`@${privateSpaceOf(s, o)}`)}, authoritative: true }`,
      );
    }
    out.push(
      isLast
        ? `  # ${s.name} is the last system of the chain: the only one authoritative for ${o.share}`
        : s.kind === 'exchange'
          ? `  # step 2: ${o.share} in a policy of its own, not authoritative ("responsible for all mail delivery" unchecked)`
          : `  # ${s.name} accepts ${o.share} without authority and passes unknown recipients on (Postfix: relay_domains)`,
      `  - name: ${scalar(`${isLast ? '' : 'Shared '}${o.share}`)}`,
      `    system: ${scalar(s.name)}`,
      ...(s.kind === 'exchange' ? ['    filter: "(mailnickname=*)"        # the recipients this policy stamps'] : []),
      '    addresses:',
      `      - { space: ${scalar(`@${o.share}`)}, primary: true, authoritative: ${isLast} }`,
    );
  });
  out.push('', '# where each system sends the recipients of the shared space that it does not have', 'connectors:');
  all.slice(0, -1).forEach((s, i) => {
    const next = all[i + 1] ?? last;
    out.push(
      `  # step 4: relay allowed, or inbound mail for ${o.share} is refused as relaying (5.7.1)`,
      `  - name: ${scalar(`To ${next.name}`)}`,
      `    system: ${scalar(s.name)}`,
      `    addressSpaces: ${flow([o.share])}`,
      `    to: ${scalar(next.name)}`,
      '    allowRelay: true',
    );
  });
  for (const s of routed) {
    out.push(
      `  # the way back: ${last.name}'s mail contacts for ${s.name}'s recipients point into its routing domain`,
      '  # (no allowRelay: a contact\'s target is routed after the message was accepted, without a relay check)',
      `  - name: ${scalar(`To ${s.name} (routing domain)`)}`,
      `    system: ${scalar(last.name)}`,
      `    addressSpaces: ${flow([privateSpaceOf(s, o)])}`,
      `    to: ${scalar(s.name)}`,
    );
  }
  // Exchange as the first system cannot validate the shared (InternalRelay) domain at RCPT
  const exchangeFirst = o.gateway.kind === 'exchange' && o.gateway.name !== last.name;
  out.push(
    '',
    '# the intent, which lint checks the policies and connectors against',
    'chains:',
    `  - name: ${scalar(`${o.share} shared`)}`,
    `    domains: ${flow([o.share])}`,
    ...(exchangeFirst
      ? [
          `    # ${o.gateway.name} is Exchange: it cannot reject unknown recipients of an InternalRelay domain at`,
          '    # RCPT (its Recipient Filter agent validates authoritative domains only); the last system',
          '    # bounces them (backscatter). A Postfix or chainmail relay gateway in front avoids it.',
          '    # chainmail-disable-next-line backscatter-risk',
        ]
      : []),
    `    order: ${flow(names)}`,
    '',
    '# where mail must end up: run by "chainmail test" and by lint',
    'tests:',
  );
  all.forEach((s, i) => out.push(`  - to: ${scalar(sample(i))}`, `    expect: { delivered: ${scalar(s.name)} }`));
  if (routed.length > 0) out.push(`  # users of ${last.name} reach the others through the mail contacts chainmail build writes`);
  routed.forEach((s) => out.push(`  - to: ${scalar(sample(all.indexOf(s)))}`, `    from: ${scalar(last.name)}`, `    expect: { delivered: ${scalar(s.name)} }`));
  out.push(
    ...(exchangeFirst
      ? [`  # ${o.gateway.name} (Exchange, InternalRelay) accepts unknown recipients; ${last.name} bounces them`, `  - to: ${scalar(`nobody@${o.share}`)}`, `    expect: { bounced: ${scalar(last.name)}, status: 5.1.1 }`]
      : [`  # every system lists its recipients, so ${o.gateway.name} rejects unknown ones at RCPT (no backscatter)`, `  - to: ${scalar(`nobody@${o.share}`)}`, `    expect: { refused: ${scalar(o.gateway.name)}, status: 5.1.1 }`]),
    '  # and relays nothing else',
    '  - to: someone@foreign.test',
    `    expect: { refused: ${scalar(o.gateway.name)}, status: 5.7.1 }`,
  );
  return out;
}

function method2(o: Method2Options): string[] {
  const g = o.gateway;
  const remotes = o.remotes.map((r) => r.domain);
  const first = o.remotes[0];
  const out: string[] = [
    `# yaml-language-server: $schema=${o.schemaRef}`,
    `# A chainmail starter for Microsoft KB 321721 method 2: ${g.name} receives mail for ${o.domain}`,
    `# from the internet and acts as a mail switch for ${andList(remotes)}, hosted on other mail`,
    '# systems. A contact (a mail-enabled object without a mailbox) resolves its address in',
    `# ${o.domain} to its targetAddress on the remote domain, and a connector carries it there.`,
    '# Replace the sample contact and mailbox, then run: chainmail lint FILE && chainmail test FILE',
    'version: 1',
    `name: ${scalar(o.name ?? `${o.domain} mail switch for ${andList(remotes)}`)}`,
    '',
    '# the Active Directory that holds the contacts',
    'directory:',
    `  baseDn: ${scalar(o.baseDn)}`,
    '',
    'domains:',
    `  ${scalar(o.domain)}: { description: ${scalar(`own space of ${g.name}`)} }`,
    ...o.remotes.map((r) => `  ${scalar(r.domain)}: { remote: true, description: hosted on another mail system }`),
    '',
    'systems:',
    ...systemLines(g, [
      `    gateway: true                     # the MX for ${o.domain} and the remote domains`,
      ...(g.kind === 'exchange' ? ['    forwardUnresolvedTo: null         # step 3: no "forward unresolved recipients"'] : []),
      `    mailboxes: ${flow([`administrator@${o.domain}`])}   # every recipient ${g.name} delivers itself`,
    ]),
    '',
    'policies:',
    '  - name: Default Policy',
    `    system: ${scalar(g.name)}`,
    '    default: true',
    '    addresses:',
    `      - { space: ${scalar(`@${o.domain}`)}, primary: true, authoritative: true }`,
  ];
  for (const r of o.remotes) {
    out.push(
      `  # step 1: accept ${r.domain} without authority; the NULL filter keeps the Recipient`,
      '  # Update Service from stamping it on your own recipients (answer No when it asks)',
      `  - name: ${scalar(r.domain)}`,
      `    system: ${scalar(g.name)}`,
      '    filter: null',
      '    addresses:',
      `      - { space: ${scalar(`@${r.domain}`)}, authoritative: false }`,
    );
  }
  out.push('', 'connectors:');
  for (const r of o.remotes) {
    out.push(
      `  # step 4: one connector per remote domain, smart host in brackets when it is an IP, relay allowed`,
      `  - name: ${scalar(`To ${r.domain}`)}`,
      `    system: ${scalar(g.name)}`,
      `    addressSpaces: ${flow([r.domain])}`,
      `    smartHosts: ${flow([r.smartHost])}`,
      '    allowRelay: true',
    );
  }
  if (first) {
    out.push(
      '',
      '# step 2: one contact per remote user; `chainmail build` writes the csvde and LDIF imports',
      'contacts:',
      '  - cn: Internet User',
      '    ou: internet users                # => CN=Internet User,OU=internet users,<baseDn>',
      '    givenName: Internet',
      '    sn: User',
      '    displayName: Internet User',
      '    mailNickname: internetuser        # required: without it Exchange shows no E-mail Addresses tab',
      `    targetAddress: ${scalar(`internetuser@${first.domain}`)}   # where mail really goes; its primary SMTP: address`,
      `    proxyAddresses: ${flow([`internetuser@${o.domain}`])}   # its secondary smtp: addresses in your own space`,
    );
  }
  out.push(
    '',
    '# where mail must end up: run by "chainmail test" and by lint',
    'tests:',
    `  - to: ${scalar(`administrator@${o.domain}`)}`,
    `    expect: { delivered: ${scalar(g.name)} }`,
    ...(first ? [`  - to: ${scalar(`internetuser@${o.domain}`)}`, `    expect: { external: ${scalar(first.smartHost)} }`] : []),
    `  - to: ${scalar(`nobody@${o.domain}`)}`,
    `    expect: { refused: ${scalar(g.name)}, status: 5.1.1 }`,
  );
  return out;
}
