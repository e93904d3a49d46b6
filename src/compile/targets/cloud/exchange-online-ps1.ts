import type { Model, OutboundConnectorDecl, SystemDecl } from '../../../model/model.js';
import { FIND_EXCHANGE_OBJECT, psComment, psList, psString } from '../exchange/escape.js';

/**
 * setup-exo.ps1 for a system of kind exchange-online: the Exchange Online PowerShell module
 * (Connect-ExchangeOnline), idempotent like setup.ps1 (look up with Get-*, New-* only when
 * missing, else Set-* to the file's values), every user value through psString/psComment.
 * Accepted domains have no New-* in Exchange Online: a domain is added and verified in the
 * Microsoft 365 admin centre (DNS TXT record), so the script only sets its type and says
 * which are missing. ExternalRelay is not a type Exchange Online takes (Microsoft365DSC
 * EXOAcceptedDomain: Authoritative, InternalRelay); it routes as InternalRelay there.
 */
export function exchangeOnlinePs1(model: Model, s: SystemDecl, source: string): string {
  const exo = s.exchangeOnline;
  const users = exo?.mailUsers.filter((u) => u.type === 'mailUser') ?? [];
  const out: string[] = [
    '<#',
    '.SYNOPSIS',
    `Exchange Online transport for system ${JSON.stringify(s.name)} of ${JSON.stringify(source)} (chainmail).`.replace(/#>/g, '# >'),
    '.DESCRIPTION',
    'Accepted domain types, outbound and inbound connectors, mail users and mail contacts.',
    'Idempotent: each object is looked up first, created only when it is missing, and otherwise',
    'set to the values below. Needs the ExchangeOnlineManagement module.',
    '#>',
    'param(',
    ...(users.length > 0 ? ['    # the initial password of the mail users this script creates', '    [securestring] $MailUserPassword = (Read-Host -AsSecureString -Prompt \'Initial password for new mail users\'),'] : []),
    '    [string] $UserPrincipalName',
    ')',
    "$ErrorActionPreference = 'Stop'",
    'if (-not (Get-Command Get-OutboundConnector -ErrorAction SilentlyContinue)) {',
    '    if ($UserPrincipalName) { Connect-ExchangeOnline -UserPrincipalName $UserPrincipalName -ShowBanner:$false }',
    '    else { Connect-ExchangeOnline -ShowBanner:$false }',
    '}',
    '',
    ...FIND_EXCHANGE_OBJECT,
    '',
  ];
  for (const a of exo?.acceptedDomains ?? []) {
    const type = a.type === 'Authoritative' ? 'Authoritative' : 'InternalRelay';
    out.push(
      psComment(`accepted domain ${a.domain.display}: ${a.type}${a.type === 'Authoritative' ? ' (Directory-Based Edge Blocking on)' : ' (unknown recipients go to the outbound connector)'}`),
      `$d = Get-AcceptedDomain | Where-Object { $_.DomainName.ToString() -eq ${psString(a.domain.ascii)} }`,
      `if (-not $d) { Write-Warning ${psString(`add and verify ${a.domain.ascii} in the Microsoft 365 admin center first (Settings > Domains), then run this again`)} }`,
      `elseif ("$($d.DomainType)" -ne '${type}') { Set-AcceptedDomain -Identity $d.Identity -DomainType ${type} }`,
      '',
    );
  }
  for (const c of exo?.outbound ?? []) out.push(...outbound(model, c), '');
  for (const c of exo?.inbound ?? []) {
    const params = [
      `ConnectorType = '${c.connectorType}'`,
      "SenderDomains = @('*')",
      ...(c.senderIPAddresses.length > 0 ? [`SenderIPAddresses = @(${psList(c.senderIPAddresses)})`] : []),
      ...(c.tlsSenderCertificateName !== undefined ? ['RequireTls = $true', `TlsSenderCertificateName = ${psString(c.tlsSenderCertificateName)}`] : []),
    ];
    out.push(psComment(`inbound connector: relays the mail of ${c.from.join(', ')}`), ...upsert('InboundConnector', c.name, params), '');
  }
  for (const u of exo?.mailUsers ?? []) {
    const id = psString(u.address.display);
    out.push(psComment(`${u.type} ${u.address.display} -> ${u.external.display}`));
    if (u.type === 'mailUser') {
      out.push(
        `$u = Find-ExchangeObject { Get-MailUser -Identity ${id} }`,
        `if (-not $u) { New-MailUser -Name ${psString(u.name)} -MicrosoftOnlineServicesID ${id} -ExternalEmailAddress ${psString(u.external.display)} -Password $MailUserPassword | Out-Null }`,
        `else { Set-MailUser -Identity $u.Identity -ExternalEmailAddress ${psString(u.external.display)} }`,
      );
    } else {
      out.push(
        `$u = Find-ExchangeObject { Get-MailContact -Identity ${id} }`,
        `if (-not $u) { $u = New-MailContact -Name ${psString(u.name)} -ExternalEmailAddress ${psString(u.external.display)} }`,
        `Set-MailContact -Identity $u.Identity -ExternalEmailAddress ${psString(u.external.display)} -EmailAddresses @{ Add = ${psString(`smtp:${u.address.display}`)} }`,
      );
    }
    out.push('');
  }
  out.push("Write-Host 'chainmail: Exchange Online setup done'");
  const text = `${out.join('\n')}\n`;
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(text) ? `\uFEFF${text}` : text;
}

function outbound(model: Model, c: OutboundConnectorDecl): string[] {
  const target = c.to !== undefined ? model.systems.get(c.to) : undefined;
  const hosts = target ? [target.host.host] : c.smartHosts.map((h) => h.host);
  const params = [
    `ConnectorType = '${target || c.centralizedMailTransport ? 'OnPremises' : 'Partner'}'`,
    `RecipientDomains = @(${psList(c.recipientDomains.map((d) => (d === '*' ? '*' : d.ascii)))})`,
    ...(c.useMxRecord ? ['UseMXRecord = $true'] : ['UseMXRecord = $false', `SmartHosts = @(${psList(hosts)})`]),
    ...(c.tls !== undefined ? [`TlsSettings = '${c.tls}'`] : []),
    ...(c.tlsDomain !== undefined ? [`TlsDomain = ${psString(c.tlsDomain)}`] : []),
    `RouteAllMessagesViaOnPremises = $${c.centralizedMailTransport}`,
  ];
  return [psComment(`outbound connector${c.to !== undefined ? ` to system ${c.to}` : ''}`), ...upsert('OutboundConnector', c.name, params)];
}

/** Get-X; New-X -Name with the parameters when missing, else Set-X -Identity with them (splatting). */
function upsert(noun: string, name: string, params: readonly string[]): string[] {
  return [
    `$params = @{ ${params.join('; ')} }`,
    `$c = Find-ExchangeObject { Get-${noun} -Identity ${psString(name)} }`,
    `if (-not $c) { New-${noun} -Name ${psString(name)} @params | Out-Null }`,
    `else { Set-${noun} -Identity $c.Identity @params }`,
  ];
}
