import type { Model, SystemDecl } from '../../../model/model.js';
import { mdCode, mdText } from '../exchange/escape.js';

/**
 * runbook.md for a system of kind google-workspace: Gmail routing has no API (the Admin SDK
 * has none for Default routing or Hosts), so the steps are written for the Admin console
 * (support.google.com/a/answer/2368153 Default routing, /answer/2685650 Hosts,
 * /answer/6297084 Routing), with the exact values. Every user value through mdCode/mdText.
 */
export function googleRunbook(model: Model, s: SystemDecl, source: string): string {
  const g = s.googleWorkspace;
  const hostOf = (to: string): string => {
    const sys = model.systems.get(to);
    return sys ? `${sys.host.host}:${sys.host.port ?? sys.port}` : to;
  };
  const out: string[] = [
    `# Google Workspace: ${mdText(s.name)}`,
    '',
    `Gmail routing for system ${mdCode(s.name)} of ${mdCode(source)}, written by chainmail. Google offers no API for`,
    'these settings: make them in the Google Admin console, signed in as a super administrator.',
    '',
    '## Domains',
    '',
    ...(g?.domains ?? []).map((d) => `- ${mdCode(d.domain.display)}${s.gateway ? ': MX records at Google (this system is a gateway)' : ': MX in front of Google (see Inbound gateway)'}`),
    '',
  ];
  const split = g?.splitDelivery;
  if (split) {
    out.push(
      '## Split delivery',
      '',
      '1. Menu > Apps > Google Workspace > Gmail > Hosts > Add route.',
      `   Name ${mdCode(`chainmail ${split.to}`)}; Single host ${mdCode(hostOf(split.to))}; Require secure transport (TLS) as your server supports it. Save.`,
      '2. Menu > Apps > Google Workspace > Gmail > Default routing > Add another rule (top-level organizational unit).',
      '   Specify envelope recipients to match: All recipients.',
      `   Route: Change route, to the host ${mdCode(`chainmail ${split.to}`)}.`,
      split.which === 'all' ? '   Options: Perform this action on non-recognized and recognized addresses.' : '   Options: Perform this action only on non-recognized addresses.',
      '   Save.',
      '',
      'Gmail counts suspended users and users with the Gmail service off as unrecognised: their mail takes this route.',
      '',
    );
  }
  if (g?.dualDelivery) {
    out.push(
      '## Dual delivery',
      '',
      `1. Gmail > Hosts > Add route: ${mdCode(hostOf(g.dualDelivery.to))}.`,
      '2. Gmail > Routing > Configure: Inbound messages; Also deliver to: Add more recipients > Advanced > Change route to that host. Save.',
      '',
    );
  }
  if ((g?.inboundGateways.length ?? 0) > 0) {
    out.push('## Inbound gateway', '', '1. Gmail > Spam, phishing and malware > Inbound gateway > Configure.', ...(g?.inboundGateways ?? []).map((x) => `   Gateway IP: ${mdCode(model.systems.get(x)?.host.host ?? x)}`), '   Save.', '');
  }
  const users = [...(g?.suspended ?? []).map((e) => [e.address.display, 'suspended'] as const), ...(g?.withoutGmail ?? []).map((e) => [e.address.display, 'Gmail service off'] as const)];
  if (users.length > 0) {
    out.push('## Users Gmail does not recognise', '', '| user | state |', '| --- | --- |', ...users.map(([a, w]) => `| ${mdCode(a, true)} | ${w} |`), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
