import { TextSink } from '../../text-sink.js';
import { mdCode } from './escape.js';
import type { ConnectorView, ExchangeView, PolicyView } from './exchange-view.js';
import { connectorPort, smartHost2003 } from './smart-host.js';

const BOX = '"This Exchange Organization is responsible for all mail delivery to this address"';

/**
 * runbook.md: KB 321721 steps 1-5 for one Exchange 2000/2003 system in Exchange System
 * Manager, with this system's concrete values (policy names, address spaces, check-box
 * states, connectors, smart hosts in brackets, bridgeheads, contacts). Rendered into bytes
 * (UTF-8 parts): the contacts table is one row per contact.
 */
export function runbook(v: ExchangeView): Uint8Array[] {
  const s = v.system;
  const sink = new TextSink();
  sink.lines([
    `# KB 321721 runbook: ${mdCode(s.name)} (Exchange 2000/2003)`,
    '',
    `Microsoft KB 321721, "How to share an SMTP address space in Exchange 2000 Server or Exchange Server 2003", applied to system ${mdCode(s.name)} of ${mdCode(v.source)}. ` +
      `It is reached at ${mdCode(s.host.raw)} port ${v.table.port}${s.gateway ? ' and receives mail from the internet (it is an MX)' : ''}. ` +
      'For Exchange 2010 and later run `setup.ps1` in the Exchange Management Shell instead: it makes the same changes.',
    '',
    ...overview(v),
    ...step1(v),
    ...step2(v),
  ]);
  contacts(v, sink);
  // the file ends with step 5's last line and one newline (its empty lines at the end dropped)
  const end = [...step3(v), ...step4(v), ...step5(v)];
  while (end.length > 0 && end[end.length - 1] === '') end.pop();
  sink.lines(end);
  return [...sink.finish().parts];
}

function overview(v: ExchangeView): string[] {
  const rows = v.policies.flatMap((p) =>
    p.addresses.map((a) => {
      const chain = v.chains.find((c) => c.name === a.chain);
      const cell = chain ? `${mdCode(chain.name, true)}: ${chain.order.map((o) => mdCode(o, true)).join(' → ')}` : a.remote ? 'remote domain' : '';
      const space = a.unicode !== a.domain ? `${mdCode(`@${a.domain}`, true)} (${mdCode(a.unicode, true)})` : mdCode(`@${a.domain}`, true);
      return `| ${space} | ${mdCode(p.decl.name, true)}${p.decl.default ? ' (default)' : ''} | ${a.primary ? 'yes' : 'no'} | ${a.authoritative ? 'checked' : '**cleared**'} | ${cell} |`;
    }),
  );
  if (rows.length === 0) return ['This system has no recipient policy in the file: it accepts no address space.', ''];
  return [
    '## Address spaces',
    '',
    `| Address space | Recipient policy | Primary | ${BOX} | Shared in chain |`,
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'A checked box makes Exchange authoritative: it returns the NDR (5.1.1) for an unknown recipient. A cleared box passes unknown recipients on through the SMTP connector of step 4 (KB 321721, "Only one mail system can be authoritative").',
    '',
  ];
}

function addressLines(p: PolicyView): string[] {
  return p.addresses.map(
    (a, i) =>
      `${i + 1}. ${mdCode(`@${a.domain}`)}: ${a.authoritative ? '**check**' : '**clear**'} the box ${BOX}${a.primary ? ', then select it and click **Set as Primary**' : ''}.`,
  );
}

function step1(v: ExchangeView): string[] {
  const out = ['## Step 1: the Default Policy', ''];
  const def = v.policies.find((p) => p.decl.default);
  if (!def) return [...out, `No policy of ${mdCode(v.system.name)} is the default policy in the file: check in Exchange System Manager that the primary SMTP address of **Default Policy** is an address space this organisation is authoritative for.`, ''];
  const primary = def.addresses.find((a) => a.primary);
  out.push(
    `The primary SMTP address of the Default Policy must be an address space this organisation is authoritative for${primary ? `: ${mdCode(`@${primary.domain}`)}` : ''}. A shared space may not be it; a private one need not exist in DNS.`,
    '',
    `In Exchange System Manager expand **Recipients**, click **Recipient Policies**, right-click ${mdCode(def.decl.name)} and click **Properties**, tab **E-Mail Addresses (Policy)**. For a new address click **New**, **SMTP Address**, **OK** and type it in the **Address** box. The addresses:`,
    '',
    ...addressLines(def),
    '',
    'Remove every other address space that this system shares from the Default Policy (select it, click **Remove**). The new primary address must reach every mail-enabled object, mailboxes in particular: when asked whether to update all corresponding recipient e-mail addresses, click **Yes**.',
    '',
  );
  return out;
}

function step2(v: ExchangeView): string[] {
  const others = v.policies.filter((p) => !p.decl.default);
  const out = ['## Step 2: the recipient policies for shared and remote address spaces', ''];
  if (others.length === 0) out.push('This system has no other recipient policy.', '');
  for (const p of others) {
    const nullFilter = p.decl.filter === null;
    out.push(`### Policy ${mdCode(p.decl.name)}`, '');
    out.push(`1. Right-click **Recipient Policies**, point to **New**, click **Recipient Policy**, select only **E-Mail Addresses** and click **OK**. Name: ${mdCode(p.decl.name)}.`);
    if (nullFilter) {
      out.push(
        '2. Click **Modify**. On the **General** tab of **Find Exchange Recipients** clear every check box (the NULL filter, so that the Recipient Update Service stamps this space on no Exchange object) and click **OK**; click **OK** on "You must select at least one recipient type" and on the notice about filter changes.',
      );
    } else if (p.decl.filter !== undefined) {
      out.push(`2. Click **Modify** and set the filter to ${mdCode(p.decl.filter)} (an LDAP filter), then **OK**; click **OK** on the notice about filter changes.`);
    } else {
      out.push('2. Click **Modify** and **OK** (the default LDAP filter); click **OK** on the notice about filter changes.');
    }
    out.push('3. Tab **E-Mail Addresses (Policy)**: for each address click **New**, **SMTP Address**, **OK** and type it in the **Address** box, with the `@`:', '');
    out.push(...addressLines(p).map((l) => `   ${l}`), '');
    out.push(
      nullFilter
        ? '4. Click **OK**. When asked whether to update all corresponding recipient e-mail addresses, click **No** (KB 321721 method 2, step 1).'
        : '4. Click **OK**. When asked whether to update all corresponding recipient e-mail addresses, click **Yes**.',
      '',
    );
  }
  return out;
}

/** The contacts of step 2, their table a row per contact appended to `sink` as it is made. */
function contacts(v: ExchangeView, sink: TextSink): void {
  if (v.contacts.length === 0) return;
  const csvde = v.csvUnicode ? 'csvde -i -u -f contacts.csv' : 'csvde -i -f contacts.csv';
  const out = [
    '### Contacts (KB 321721 method 2, step 2)',
    '',
    `${v.contacts.length} mail-enabled contact${v.contacts.length === 1 ? '' : 's'} in the directory of this system. Each contact's primary SMTP address is its targetAddress; its other addresses (secondary, \`smtp:\`) are the ones this organisation receives for it. Import them from the files in \`contacts/\`, on a domain controller, with one of:`,
    '',
    '```',
    csvde,
    'ldifde -i -f contacts.ldif',
    '```',
    '',
    v.csvUnicode
      ? '`-u`: contacts.csv is Unicode (UTF-16LE) because some values are not ASCII; keep it Unicode if you edit it (in Excel: save as "Unicode Text" and turn the tabs back into commas, or edit the LDIF instead).'
      : 'contacts.csv is plain ASCII. If you edit it in Excel, keep the header line and the quoting.',
    'The DN of each contact decides the organisational unit it is created in; the organisational units must exist (`chainmail build --with-ous` adds them to the LDIF).',
    ...generatedNote(v),
    ...(v.hasOtherContacts ? ['', 'The files also hold the contacts of other Exchange systems of the file: import on this one only those listed here.'] : []),
    '',
    '| Contact | targetAddress (primary `SMTP:`) | Secondary addresses (`smtp:`) | mailNickname |',
    '| --- | --- | --- | --- |',
  ];
  sink.lines(out);
  for (const c of v.contacts) {
    sink.add(`| ${mdCode(c.dn, true)} | ${mdCode(c.mail, true)} | `);
    let first = true;
    for (const p of c.proxyAddresses) {
      if (!p.startsWith('smtp:')) continue;
      if (!first) sink.add(', ');
      sink.add(mdCode(p.slice(5), true));
      first = false;
    }
    sink.line(` | ${c.mailNickname !== undefined ? mdCode(c.mailNickname, true) : '**missing**'} |`);
  }
  sink.line('');
}

function step3(v: ExchangeView): string[] {
  const target = v.table.unresolved?.hosts.map(smartHost2003).join(', ');
  return [
    '## Step 3: the SMTP virtual server',
    '',
    'In Exchange System Manager expand **Administrative Groups**, your administrative group, **Servers**, this server, **Protocols**, **SMTP**; right-click **Default SMTP Virtual Server**, click **Properties**, tab **Messages**.',
    '',
    target
      ? `**Forward all mail with unresolved recipients to host**: ${mdCode(target)} (forwardUnresolvedTo in the file; it is not part of a chain).`
      : '**Forward all mail with unresolved recipients to host**: delete every entry, leave it **empty**, click **OK**. Unknown recipients must go through the connector of step 4 (and on to the authoritative system), never back to a gateway.',
    '',
  ];
}

function step4(v: ExchangeView): string[] {
  const out = ['## Step 4: the SMTP connectors', ''];
  if (v.connectors.length === 0) return [...out, `${mdCode(v.system.name)} is the bridgehead of no connector in the file.`, ''];
  out.push('Without a connector for a shared or remote address space, Exchange treats inbound mail for it as a relay attempt and refuses it.', '');
  for (const c of v.connectors) out.push(...connector(c));
  return out;
}

function connector(c: ConnectorView): string[] {
  const hosts = c.entry.nextHop.hosts;
  const { port, mixed } = connectorPort(hosts);
  const spaces = c.entry.addressSpaces;
  const to = c.entry.nextHop.system !== undefined ? ` (system ${mdCode(c.entry.nextHop.system)})` : '';
  const out = [
    `### Connector ${mdCode(c.entry.name)}`,
    '',
    `1. In Exchange System Manager right-click **Connectors**, point to **New**, click **SMTP Connector**. **Name**: ${mdCode(c.entry.name)}.`,
    `2. Click **Forward all mail through this connector to the following smart hosts** and type ${hosts.map((h) => mdCode(smartHost2003(h))).join(', ')}${to}.`,
    `3. Under **Local bridgeheads** click **Add** and add the SMTP virtual server of ${c.bridgeheads.map((b) => mdCode(b)).join(', ')}.`,
    `4. Tab **Address Space**: for each address space click **Add**, **SMTP**, **OK** and type it in **E-mail domain** without the \`@\`, cost 1: ${spaces.map((d) => mdCode(d)).join(', ')}.`,
    `5. ${c.entry.allowRelay ? '**Check**' : '**Clear**'} **Allow messages to be relayed to these domains**${c.entry.allowRelay ? ' (every virtual server listed under Local bridgeheads then accepts mail for these domains)' : ''}, then click **OK**.`,
  ];
  if (port !== 25 || mixed) {
    out.push(
      '',
      `The next hop listens on port ${mixed ? hosts.map((h) => h.port).join(', ') : port}, not 25. An Exchange 2000/2003 connector has no port: set **TCP port** under **Delivery**, **Outbound connections** of a virtual server used only for this connector${mixed ? '; the hosts use different ports, which one connector cannot express' : ''}.`,
    );
  }
  if (spaces.includes('*') && c.entry.allowRelay) {
    out.push('', 'The address space `*` with relaying allowed relays mail for every domain: make sure only your own servers can reach these bridgeheads.');
  }
  out.push('');
  return out;
}

function step5(v: ExchangeView): string[] {
  return [
    '## Step 5: restart the routing and SMTP services',
    '',
    `On every bridgehead, in **Services** (services.msc) stop and start **Microsoft Exchange Routing Engine**, then stop and start **Simple Mail Transfer Protocol (SMTP)**; or from a command prompt:`,
    '',
    '```',
    'net stop RESvc',
    'net start RESvc',
    'net stop SMTPSVC',
    'net start SMTPSVC',
    '```',
    '',
    `Then check where mail goes: ${mdCode(`chainmail route ${v.source} ADDRESS`)} traces an address through every system of the file.`,
    '',
  ];
}

/**
 * The contacts chainmail generates for recipients of other systems in a domain this system
 * is authoritative for (docs/routing.md, the reverse path at Exchange): why they exist.
 */
function generatedNote(v: ExchangeView): string[] {
  const hosts = [...new Set(v.contacts.map((c) => c.contact.hostedBy).filter((h): h is string => h !== undefined))].sort();
  if (hosts.length === 0) return [];
  const n = v.contacts.filter((c) => c.contact.hostedBy !== undefined).length;
  return [
    '',
    `${n} of them ${n === 1 ? 'is' : 'are'} generated by chainmail for recipients that ${hosts.map((h) => mdCode(h, true)).join(', ')} ${hosts.length === 1 ? 'hosts' : 'host'} in a domain this system is authoritative for: Exchange resolves such a recipient only through an object in its directory, so each contact's targetAddress is the recipient's address in the hosting system's routing domain (\`routingDomain\`), which a send connector of this system routes there (as cross-forest and hybrid coexistence do). Without them this system answers its own users 550 5.1.1 for those recipients.`,
  ];
}
