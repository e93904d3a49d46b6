import { TextSink, UTF8_BOM } from '../../text-sink.js';
import type { ContactEntry } from '../ldif/contact-entries.js';
import { acceptedDomainPlan, type AcceptedDomainPlan } from './accepted-domains.js';
import { FIND_EXCHANGE_OBJECT, psComment, psList, psString } from './escape.js';
import type { ConnectorView, ExchangeView } from './exchange-view.js';
import { mailboxAddresses, policyWarnings, recipientValidation } from './setup-recipients.js';
import { connectorPort, smartHost2007 } from './smart-host.js';

/**
 * setup.ps1: the same changes as runbook.md for Exchange 2010 and later, in the Exchange
 * Management Shell. Idempotent: every object is looked up with Get-* first, created with
 * New-* only when it is missing, and an existing one is set to the file's values.
 * Windows PowerShell reads a script without a byte order mark in the ANSI code page, so a
 * script with non-ASCII values starts with a UTF-8 BOM. Rendered into bytes (UTF-8 parts):
 * 13 MB at 100,000 recipients, most of it one line per mailbox and six per contact.
 */
export function setupPs1(v: ExchangeView): Uint8Array[] {
  const s = v.system;
  const plan = acceptedDomainPlan(v.table);
  const sink = new TextSink();
  sink.lines([
    '<#',
    '.SYNOPSIS',
    `KB 321721 for Exchange 2010 and later: system ${JSON.stringify(s.name)} of ${JSON.stringify(v.source)}.`.replace(/#>/g, '# >'),
    '.DESCRIPTION',
    'Accepted domains (steps 1-2), recipient validation, the addresses of the mailboxes, send',
    'connectors (step 4) and mail contacts (method 2). Idempotent: each object is looked up',
    'first, created only when it is missing, and otherwise set to the values below.',
    'Run it in the Exchange Management Shell. runbook.md has the same steps for Exchange 2000/2003.',
    '.PARAMETER SourceTransportServers',
    "The servers that send through the send connectors (the seed's bridgeheads). Default: this one.",
    '#>',
    'param(',
    '    [string[]] $SourceTransportServers = @($env:COMPUTERNAME)',
    ')',
    "$ErrorActionPreference = 'Stop'",
    '',
    ...FIND_EXCHANGE_OBJECT,
    '',
    ...acceptedDomains(plan),
    ...recipientValidation(plan),
    ...defaultPolicy(v),
    ...policyWarnings(plan),
  ]);
  mailboxAddresses(s, v.table, sink);
  for (const c of v.connectors) sink.lines(connector(c));
  for (const c of v.contacts) contact(c, sink);
  sink.lines([
    '# Step 3: Exchange 2007 and later have no "Forward all mail with unresolved recipients to host";',
    '# an InternalRelay accepted domain and its send connector do that job.',
    '# Step 5: no restart is needed; transport picks the changes up from Active Directory.',
    "Write-Host 'chainmail: KB 321721 setup done'",
  ]);
  const { parts, ascii } = sink.finish();
  // the sink counts the bytes it encodes: no scan of the text for non-ASCII
  return ascii ? [...parts] : [UTF8_BOM, ...parts];
}

function acceptedDomains(plan: readonly AcceptedDomainPlan[]): string[] {
  if (plan.length === 0) return [];
  const out = [
    '# Steps 1-2: accepted domains, as the routing engine routes them (accepted-domains.ts). Authoritative:',
    '# Exchange returns the NDR. InternalRelay: unknown recipients go on through a send connector; Exchange',
    '# cannot validate them (AddressBookEnabled $false). Exchange 2007+ relays anonymous mail to accepted domains only.',
  ];
  for (const p of plan) {
    out.push(psComment(`${p.domain}: ${p.why}`));
    if (p.type === null) {
      out.push(
        `if (Get-AcceptedDomain | Where-Object { $_.DomainName.ToString() -eq ${psString(p.domain)} }) {`,
        `    Write-Warning ${psString(`${p.domain} is an accepted domain here: Exchange relays it for anyone, chainmail route refuses it (5.7.1)`)}`,
        '}',
      );
      continue;
    }
    const book = p.type === 'Authoritative' ? '$true' : '$false';
    out.push(
      `$existing = Get-AcceptedDomain | Where-Object { $_.DomainName.ToString() -eq ${psString(p.domain)} }`,
      'if (-not $existing) {',
      `    New-AcceptedDomain -Name ${psString(p.domain)} -DomainName ${psString(p.domain)} -DomainType ${p.type} | Out-Null`,
      '}',
      `Set-AcceptedDomain -Identity ${psString(p.domain)} -DomainType ${p.type} -AddressBookEnabled ${book}`,
    );
  }
  out.push('');
  return out;
}

function defaultPolicy(v: ExchangeView): string[] {
  const def = v.policies.find((p) => p.decl.default);
  const primary = def?.addresses.find((a) => a.primary);
  if (!primary) return [];
  return [
    `# Step 1: the primary address of the default email address policy must be in an Authoritative domain: @${primary.domain}`,
    "$default = Get-EmailAddressPolicy | Where-Object { \"$($_.Priority)\" -eq 'Lowest' }",
    `if ($default -and "$($default.EnabledPrimarySMTPAddressTemplate)" -notlike ${psString(`*@${primary.domain}`)}) {`,
    `    Write-Warning ('the default email address policy uses ' + $default.EnabledPrimarySMTPAddressTemplate + ${psString(`, not @${primary.domain} (KB 321721 step 1)`)})`,
    '}',
    '',
  ];
}

function connector(c: ConnectorView): string[] {
  const e = c.entry;
  const { port, mixed } = connectorPort(e.nextHop.hosts);
  const smartHosts = psList(e.nextHop.hosts.map(smartHost2007));
  const args = `-AddressSpaces ${psList(e.addressSpaces)} -SmartHosts ${smartHosts} -DNSRoutingEnabled $false -Port ${port}`;
  const to = e.nextHop.system !== undefined ? ` (system ${JSON.stringify(e.nextHop.system)})` : '';
  const out = [psComment(`Step 4: connector ${JSON.stringify(e.name)}: ${e.addressSpaces.join(', ')} -> ${e.nextHop.hosts.map((h) => h.display).join(', ')}${to}`)];
  if (mixed) out.push(`# the smart hosts listen on different ports (${e.nextHop.hosts.map((h) => h.port).join(', ')}); a send connector has one: ${port}`);
  out.push(
    `$connector = Get-SendConnector | Where-Object { $_.Name -eq ${psString(e.name)} }`,
    'if (-not $connector) {',
    `    New-SendConnector -Name ${psString(e.name)} -Usage Custom ${args} -SmartHostAuthMechanism None -SourceTransportServers $SourceTransportServers | Out-Null`,
    '} else {',
    `    Set-SendConnector -Identity $connector.Identity ${args}`,
    '}',
    '',
  );
  return out;
}

/** One contact's lines, appended piece by piece (40,000 contacts at 100,000 recipients). */
function contact(c: ContactEntry, sink: TextSink): void {
  const base = /(^|,)DC=/i.test(c.dn);
  const parent = c.ouDns[c.ouDns.length - 1]?.dn;
  const identity = psString(base ? c.dn : (c.mailNickname ?? c.cn));
  sink.line(
    psComment(
      c.contact.hostedBy === undefined
        ? `Method 2, step 2: contact ${JSON.stringify(c.cn)} -> ${c.mail}`
        : `Reverse path: contact ${JSON.stringify(c.cn)} for a recipient of system ${JSON.stringify(c.contact.hostedBy)} -> ${c.mail} (its routingDomain)`,
    ),
  );
  sink.line(`if (-not (Find-ExchangeObject { Get-MailContact -Identity ${identity} -ErrorAction Stop })) {`);
  sink.add(`    New-MailContact -Name ${psString(c.cn)} -ExternalEmailAddress ${psString(c.targetAddress)}`);
  if (c.mailNickname !== undefined) sink.add(` -Alias ${psString(c.mailNickname)}`);
  if (c.givenName !== undefined) sink.add(` -FirstName ${psString(c.givenName)}`);
  if (c.sn !== undefined) sink.add(` -LastName ${psString(c.sn)}`);
  sink.add(` -DisplayName ${psString(c.displayName)}`);
  if (base && parent !== undefined) sink.add(` -OrganizationalUnit ${psString(parent)}`);
  sink.line(' | Out-Null');
  sink.line('}');
  sink.line('# primary SMTP: = targetAddress, secondaries smtp:; no policy may change them');
  sink.line(`Set-MailContact -Identity ${identity} -EmailAddressPolicyEnabled $false -EmailAddresses ${psList(c.proxyAddresses)}`);
  sink.line('');
}
