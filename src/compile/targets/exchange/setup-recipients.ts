import type { SystemDecl } from '../../../model/model.js';
import { tableIndex, type RoutingTable } from '../../../routing/table.js';
import type { TextSink } from '../../text-sink.js';
import type { AcceptedDomainPlan } from './accepted-domains.js';
import { psComment, psList, psString } from './escape.js';

/**
 * Recipient validation (issue 14): the engine refuses an unknown recipient of an
 * authoritative domain at RCPT (550 5.1.1). Exchange does that only with the Recipient
 * Filter agent's recipient lookup ("If the inbound message contains a recipient that
 * doesn't match any recipients in Recipient Lookup, the Exchange server sends a 550 5.1.1
 * User unknown"; Set-RecipientFilterConfig -RecipientValidationEnabled), which looks up
 * authoritative domains only and needs the accepted domain's AddressBookEnabled (its
 * default for Authoritative). Without the agent Exchange accepts and sends an NDR: the
 * script warns.
 */
export function recipientValidation(plan: readonly AcceptedDomainPlan[]): string[] {
  if (!plan.some((p) => p.type === 'Authoritative')) return [];
  return [
    '# Recipient validation: unknown recipients of the Authoritative domains get 550 5.1.1 at RCPT, as',
    '# chainmail route says. Done by the Recipient Filter agent (an Edge Transport server, or the antispam',
    '# agents of a Mailbox server: Install-AntispamAgents.ps1); it looks up Authoritative domains only.',
    "if (Get-TransportAgent | Where-Object { \"$($_.Identity)\" -eq 'Recipient Filter Agent' }) {",
    '    Set-RecipientFilterConfig -Enabled $true -RecipientValidationEnabled $true',
    '} else {',
    "    Write-Warning 'no Recipient Filter agent: Exchange accepts unknown recipients and sends NDRs (backscatter); install the antispam agents or an Edge Transport server'",
    '}',
    '',
  ];
}

/**
 * Every address of every mailbox the file gives this system, aliases included, so that
 * Exchange resolves what the engine resolves (issue 14). The mailbox is found by its
 * address (Get-Mailbox -Identity takes an email address); its aliases are added with
 * `Set-Mailbox -EmailAddresses @{Add=...}`, which adds proxy addresses and keeps the others
 * (a second run adds nothing). chainmail creates no mailbox: a missing one is a warning.
 * One line per mailbox (60,000 at 100,000 recipients), appended to `sink` as it is made.
 */
export function mailboxAddresses(system: SystemDecl, table: RoutingTable, sink: TextSink): void {
  const recipients = tableIndex(table).recipients;
  let any = false;
  for (const m of system.mailboxes) {
    const key = m.address.key;
    // the mailbox this system delivers (duplicate-address reports one on two objects)
    const own = recipients.get(key);
    if (!key || own?.action !== 'deliver' || own.mailbox !== key || own.alias) continue;
    const aliases = m.aliases.filter((a) => {
      const e = a.address.key ? recipients.get(a.address.key) : undefined;
      return e?.action === 'deliver' && e.mailbox === key;
    });
    const identity = psString(wire(m.address.local, m.address.domain.ascii));
    const find = `Find-ExchangeObject { Get-Mailbox -Identity ${identity} -ErrorAction Stop }`;
    const missing = `Write-Warning ${psString(`mailbox ${m.address.display} not found: create it (chainmail routes its mail here)`)}`;
    if (!any) sink.lines(MAILBOXES);
    any = true;
    if (aliases.length === 0) {
      sink.line(`if (-not (${find})) { ${missing} }`);
      continue;
    }
    const add = psList(aliases.map((a) => `smtp:${wire(a.address.local, a.address.domain.ascii)}`));
    sink.line(`if ($m = ${find}) { Set-Mailbox -Identity $m.Identity -EmailAddresses @{Add=${add}} } else { ${missing} }`);
  }
  if (any) sink.line('');
}

const MAILBOXES = [
  '# Mailboxes: every address chainmail routes to a mailbox here, aliases included (found by its address).',
  '# No email address policy is generated: a policy stamps addresses on every recipient it matches,',
  '# which chainmail would not know (docs/exchange.md, "Email address policies").',
];

/**
 * Existing email address policies that stamp a domain this system accepts: they give
 * recipients addresses the file does not list (chainmail route calls them unknown). The
 * script changes no policy; it names them.
 */
export function policyWarnings(plan: readonly AcceptedDomainPlan[]): string[] {
  const domains = plan.filter((p) => p.type !== null).map((p) => p.domain);
  if (domains.length === 0) return [];
  return [
    psComment('Email address policies: chainmail generates none; it names those that stamp an accepted domain here.'),
    `$chainmailDomains = @(${psList(domains)})`,
    'foreach ($policy in Get-EmailAddressPolicy) {',
    '    foreach ($template in $policy.EnabledEmailAddressTemplates) {',
    "        $domain = (\"$template\" -split '@')[-1]",
    '        if ($chainmailDomains -contains $domain) {',
    "            Write-Warning ('email address policy ' + $policy.Name + ' stamps ' + $template + ': add those addresses to chainmail.yaml or they are unknown to chainmail route')",
    '        }',
    '    }',
    '}',
    '',
  ];
}

/** local@A-label: Exchange compares domains as written in ASCII. */
function wire(local: string, domain: string): string {
  return `${local}@${domain}`;
}
