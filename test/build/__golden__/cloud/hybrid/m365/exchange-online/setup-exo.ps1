<#
.SYNOPSIS
Exchange Online transport for system "m365" of "chainmail.yaml" (chainmail).
.DESCRIPTION
Accepted domain types, outbound and inbound connectors, mail users and mail contacts.
Idempotent: each object is looked up first, created only when it is missing, and otherwise
set to the values below. Needs the ExchangeOnlineManagement module.
#>
param(
    # the initial password of the mail users this script creates
    [securestring] $MailUserPassword = (Read-Host -AsSecureString -Prompt 'Initial password for new mail users'),
    [string] $UserPrincipalName
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Command Get-OutboundConnector -ErrorAction SilentlyContinue)) {
    if ($UserPrincipalName) { Connect-ExchangeOnline -UserPrincipalName $UserPrincipalName -ShowBanner:$false }
    else { Connect-ExchangeOnline -ShowBanner:$false }
}

# $null when the object does not exist (Get-* fails for an identity that is not found).
function Find-ExchangeObject([scriptblock] $Lookup) {
    try { & $Lookup } catch { $null }
}

# accepted domain contoso.com: Authoritative (Directory-Based Edge Blocking on)
$d = Get-AcceptedDomain | Where-Object { $_.DomainName.ToString() -eq 'contoso.com' }
if (-not $d) { Write-Warning 'add and verify contoso.com in the Microsoft 365 admin center first (Settings > Domains), then run this again' }
elseif ("$($d.DomainType)" -ne 'Authoritative') { Set-AcceptedDomain -Identity $d.Identity -DomainType Authoritative }

# accepted domain contoso.mail.onmicrosoft.com: Authoritative (Directory-Based Edge Blocking on)
$d = Get-AcceptedDomain | Where-Object { $_.DomainName.ToString() -eq 'contoso.mail.onmicrosoft.com' }
if (-not $d) { Write-Warning 'add and verify contoso.mail.onmicrosoft.com in the Microsoft 365 admin center first (Settings > Domains), then run this again' }
elseif ("$($d.DomainType)" -ne 'Authoritative') { Set-AcceptedDomain -Identity $d.Identity -DomainType Authoritative }

# outbound connector to system onprem
$params = @{ ConnectorType = 'OnPremises'; RecipientDomains = @('contoso.com'); UseMXRecord = $false; SmartHosts = @('mail.contoso.com'); TlsSettings = 'DomainValidation'; TlsDomain = 'mail.contoso.com'; RouteAllMessagesViaOnPremises = $false }
$c = Find-ExchangeObject { Get-OutboundConnector -Identity 'Outbound to on-premises' }
if (-not $c) { New-OutboundConnector -Name 'Outbound to on-premises' @params | Out-Null }
else { Set-OutboundConnector -Identity $c.Identity @params }

# inbound connector: relays the mail of onprem, unix
$params = @{ ConnectorType = 'OnPremises'; SenderDomains = @('*'); RequireTls = $true; TlsSenderCertificateName = 'mail.contoso.com' }
$c = Find-ExchangeObject { Get-InboundConnector -Identity 'Inbound from on-premises' }
if (-not $c) { New-InboundConnector -Name 'Inbound from on-premises' @params | Out-Null }
else { Set-InboundConnector -Identity $c.Identity @params }

# mailUser bob@contoso.com -> bob@contoso.com
$u = Find-ExchangeObject { Get-MailUser -Identity 'bob@contoso.com' }
if (-not $u) { New-MailUser -Name 'Bob' -MicrosoftOnlineServicesID 'bob@contoso.com' -ExternalEmailAddress 'bob@contoso.com' -Password $MailUserPassword | Out-Null }
else { Set-MailUser -Identity $u.Identity -ExternalEmailAddress 'bob@contoso.com' }

# mailUser carol@contoso.com -> carol@contoso.com
$u = Find-ExchangeObject { Get-MailUser -Identity 'carol@contoso.com' }
if (-not $u) { New-MailUser -Name 'Carol' -MicrosoftOnlineServicesID 'carol@contoso.com' -ExternalEmailAddress 'carol@contoso.com' -Password $MailUserPassword | Out-Null }
else { Set-MailUser -Identity $u.Identity -ExternalEmailAddress 'carol@contoso.com' }

Write-Host 'chainmail: Exchange Online setup done'
