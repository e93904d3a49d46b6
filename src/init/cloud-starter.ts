import { scalar } from './yaml-text.js';

/** The cloud starters: `hybrid` (Exchange Online, on-premises Exchange, Postfix) and `google` (split delivery to Postfix). */
export interface CloudStarterOptions {
  readonly method: 'hybrid' | 'google';
  /** The shared domain. */
  readonly domain: string;
  readonly name?: string;
  readonly schemaRef: string;
}

/**
 * A commented starter for a cloud service in the chain (docs/exchange-online.md,
 * docs/google-workspace.md): the shape of examples/hybrid and examples/google-split for the
 * given domain, with placeholder users to replace. Pure: LF, final newline.
 */
export function cloudStarter(o: CloudStarterOptions): string {
  const d = o.domain;
  const label = d.split('.')[0]?.replace(/[^a-z0-9-]/g, '') || 'tenant';
  const lines = o.method === 'hybrid' ? hybrid(d, label, o) : google(d, o);
  return `${lines.join('\n')}\n`;
}

const user = (local: string, d: string): string => scalar(`${local}@${d}`);

function head(o: CloudStarterOptions, about: string[]): string[] {
  return [`# yaml-language-server: $schema=${o.schemaRef}`, ...about.map((l) => `# ${l}`), 'version: 1', `name: ${scalar(o.name ?? `${o.domain} (${o.method})`)}`, ''];
}

function hybrid(d: string, label: string, o: CloudStarterOptions): string[] {
  const routing = `${label}.mail.onmicrosoft.com`;
  return [
    ...head(o, [
      `A chainmail starter: Exchange Online (MX), on-premises Exchange and Postfix share ${d}.`,
      `${d} is Authoritative in the tenant (Directory-Based Edge Blocking, 550 5.4.1): every`,
      'on-premises recipient is a mail user of the tenant. docs/exchange-online.md',
    ]),
    'domains:',
    `  ${scalar(d)}: { description: "shared by Exchange Online, on-premises Exchange and Postfix" }`,
    `  ${scalar(`${label}.local`)}: { description: private default space of the on-premises organisation }`,
    `  ${scalar(routing)}: { description: "the tenant's routing domain" }`,
    '',
    'systems:',
    '  m365:',
    '    kind: exchange-online',
    `    host: ${scalar(`${label}.mail.protection.outlook.com`)}`,
    '    gateway: true',
    `    mailboxes: [{ address: ${user('alice', d)}, aliases: [${user('alice', routing)}] }]`,
    '    acceptedDomains:',
    `      ${scalar(d)}: Authoritative`,
    `      ${scalar(routing)}: Authoritative`,
    '    outboundConnectors:',
    `      - { name: Outbound to on-premises, recipientDomains: [${scalar(d)}], to: onprem }`,
    '    inboundConnectors:',
    '      - { name: Inbound from on-premises, from: [onprem, unix] }',
    '    mailUsers:',
    `      - { address: ${user('bob', d)}, externalEmailAddress: ${user('bob', d)} }`,
    `      - { address: ${user('carol', d)}, externalEmailAddress: ${user('carol', d)} }`,
    '  onprem:',
    '    kind: exchange',
    `    host: ${scalar(`mail.${d}`)}`,
    `    mailboxes: [${user('bob', d)}]`,
    '  unix:',
    '    kind: postfix',
    '    host: "[192.0.2.25]"',
    `    mailboxes: [${user('carol', d)}]`,
    '',
    'policies:',
    '  - { name: Default Policy, system: onprem, default: true, addresses: [{ space: ' + scalar(`@${label}.local`) + ', primary: true, authoritative: true }] }',
    '  - { name: Shared, system: onprem, filter: "(mailnickname=*)", addresses: [{ space: ' + scalar(`@${d}`) + ', primary: true, authoritative: false }] }',
    '  - { name: UNIX domains, system: unix, addresses: [{ space: ' + scalar(`@${d}`) + ', authoritative: true }] }',
    '',
    'connectors:',
    `  - { name: To UNIX, system: onprem, addressSpaces: [${scalar(d)}], to: unix, allowRelay: true }`,
    `  - { name: To Exchange Online, system: onprem, addressSpaces: [${scalar(routing)}], to: m365, allowRelay: true }`,
    '',
    'chains:',
    `  - { name: ${scalar(`${d} hybrid`)}, domains: [${scalar(d)}], order: [m365, onprem, unix] }`,
    '',
    'tests:',
    `  - { to: ${user('alice', d)}, expect: { delivered: m365 } }`,
    `  - { to: ${user('bob', d)}, expect: { delivered: onprem } }`,
    `  - { to: ${user('carol', d)}, expect: { delivered: unix } }`,
    `  - { to: ${user('nobody', d)}, expect: { refused: m365, status: 5.4.1 } }`,
    `  - { to: ${user('alice', d)}, from: unix, expect: { delivered: m365 } }`,
  ];
}

function google(d: string, o: CloudStarterOptions): string[] {
  return [
    ...head(o, [
      `A chainmail starter: Google Workspace (MX) with split delivery of ${d} to a Postfix server.`,
      'Gmail routes unrecognised recipients, suspended users and users without Gmail to the',
      'legacy server, which is authoritative and bounces the unknown ones. docs/google-workspace.md',
    ]),
    'domains:',
    `  ${scalar(d)}: { description: shared by Google Workspace and the legacy server }`,
    '',
    'systems:',
    '  google:',
    '    kind: google-workspace',
    '    host: aspmx.l.google.com',
    '    gateway: true',
    `    workspaceDomains: [${scalar(d)}]`,
    `    mailboxes: [${user('gina', d)}]`,
    `    suspended: [${user('sam', d)}]`,
    '    splitDelivery: { to: legacy, which: unrecognized }',
    '  legacy:',
    '    kind: postfix',
    '    host: "[192.0.2.40]"',
    `    mailboxes: [${user('sam', d)}, ${user('pat', d)}]`,
    '',
    'policies:',
    '  - { name: Legacy domains, system: legacy, addresses: [{ space: ' + scalar(`@${d}`) + ', authoritative: true }] }',
    '',
    'tests:',
    `  - { to: ${user('gina', d)}, expect: { delivered: google } }`,
    `  - { to: ${user('sam', d)}, expect: { delivered: legacy } }`,
    `  - { to: ${user('pat', d)}, expect: { delivered: legacy } }`,
    `  - { to: ${user('nobody', d)}, expect: { bounced: legacy, status: 5.1.1 } }`,
    `  - { to: ${user('gina', d)}, from: legacy, expect: { delivered: google } }`,
  ];
}
