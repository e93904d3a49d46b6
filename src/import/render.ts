import { scalar } from '../init/yaml-text.js';
import type { Commented, ImportedContact, ImportedMailbox, ImportedModel, ImportedSystem } from './imported.js';

/**
 * An imported model as a chainmail YAML file: the sections in the order of the file
 * format's documentation, block style, one object per entry, each with the comment that
 * says where it came from. Strings are quoted only where YAML needs it (init's `scalar`).
 * Deterministic: the importers sort; this only writes.
 */
export function renderImported(m: ImportedModel, schemaRef?: string): string {
  const out: string[] = [];
  if (schemaRef !== undefined) out.push(`# yaml-language-server: $schema=${schemaRef}`);
  for (const h of m.header) out.push(commentLine(h));
  if (!m.include) {
    out.push('version: 1');
    if (m.name !== undefined) out.push(`name: ${scalar(m.name)}`);
    if (m.baseDn !== undefined) out.push('directory:', `  baseDn: ${scalar(m.baseDn)}`);
  }
  if (m.domains.length > 0) {
    out.push('', 'domains:');
    for (const d of m.domains) {
      notes(out, d, '  ');
      const props = [...(d.remote ? ['remote: true'] : []), ...(d.description !== undefined ? [`description: ${scalar(d.description)}`] : [])];
      out.push(`  ${scalar(d.name)}: ${props.length > 0 ? `{ ${props.join(', ')} }` : '{}'}`);
    }
  }
  if (m.systems.length > 0) {
    out.push('', 'systems:');
    for (const s of m.systems) system(out, s);
  }
  if (m.policies.length > 0) {
    out.push('', 'policies:');
    for (const p of m.policies) {
      notes(out, p, '  ');
      out.push(`  - name: ${scalar(p.name)}`, `    system: ${scalar(p.system)}`);
      if (p.filter === null) out.push('    filter: null');
      out.push('    addresses:');
      for (const a of p.addresses) out.push(`      - { space: ${scalar(a.space)}, authoritative: ${a.authoritative} }`);
    }
  }
  if (m.connectors.length > 0) {
    out.push('', 'connectors:');
    for (const c of m.connectors) {
      notes(out, c, '  ');
      out.push(`  - name: ${scalar(c.name)}`, `    system: ${scalar(c.system)}`, `    addressSpaces: ${flow(c.addressSpaces)}`);
      if (c.to !== undefined) out.push(`    to: ${scalar(c.to)}`);
      if (c.smartHosts !== undefined) out.push(`    smartHosts: ${flow(c.smartHosts)}`);
      out.push(`    allowRelay: ${c.allowRelay}`);
    }
  }
  if (m.chains.length > 0) {
    out.push('', 'chains:');
    for (const c of m.chains) {
      notes(out, c, '  ');
      out.push(`  - name: ${scalar(c.name)}`, `    domains: ${flow(c.domains)}`, `    order: ${flow(c.order)}`);
      if (c.rejectUnknownAtGateway !== undefined) out.push(`    rejectUnknownAtGateway: ${c.rejectUnknownAtGateway}`);
    }
  }
  if (m.contacts.length > 0) {
    out.push('', 'contacts:');
    for (const c of m.contacts) contact(out, c);
  }
  return `${out.join('\n')}\n`;
}

function system(out: string[], s: ImportedSystem): void {
  notes(out, s, '  ');
  out.push(`  ${scalar(s.name)}:`, `    kind: ${s.kind}`, `    host: ${scalar(s.host)}`);
  if (s.gateway !== undefined) out.push(`    gateway: ${s.gateway}`);
  if (s.hopLimit !== undefined) out.push(`    hopLimit: ${s.hopLimit}`);
  if (s.localTransport !== undefined) out.push(`    localTransport: ${scalar(s.localTransport)}`);
  if (s.directory !== undefined) {
    out.push('    directory:');
    for (const [k, v] of Object.entries(s.directory)) out.push(`      ${k}: ${typeof v === 'string' ? scalar(v) : String(v)}`);
  }
  if (s.mailboxes === undefined) return;
  if (s.mailboxes.length === 0) {
    out.push('    mailboxes: []');
    return;
  }
  out.push('    mailboxes:');
  for (const mb of s.mailboxes) out.push(`      - ${mailbox(mb)}`);
}

export function mailbox(mb: ImportedMailbox): string {
  return mb.aliases.length === 0 ? scalar(mb.address) : `{ address: ${scalar(mb.address)}, aliases: ${flow(mb.aliases)} }`;
}

function contact(out: string[], c: ImportedContact): void {
  notes(out, c, '  ');
  out.push(`  - cn: ${scalar(c.cn)}`);
  const field = (name: string, v: string | undefined): void => {
    if (v !== undefined) out.push(`    ${name}: ${scalar(v)}`);
  };
  field('ou', c.ou);
  field('system', c.system);
  field('givenName', c.givenName);
  field('sn', c.sn);
  field('displayName', c.displayName);
  field('mailNickname', c.mailNickname);
  field('targetAddress', c.targetAddress);
  out.push(`    proxyAddresses: ${flow(c.proxyAddresses)}`);
}

export function flow(items: readonly string[]): string {
  return `[${items.map(scalar).join(', ')}]`;
}

/** A comment line: never more than one line, whatever the input held. */
export function commentLine(text: string, indent = ''): string {
  // eslint-disable-next-line no-control-regex
  const one = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, '?');
  return one === '' ? `${indent}#` : `${indent}# ${one}`;
}

function notes(out: string[], o: Commented, indent: string): void {
  for (const c of o.comment ?? []) out.push(commentLine(c, indent));
}
