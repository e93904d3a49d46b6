import { CHANGE_KINDS, FOREIGN_DOMAIN, type RouteChange, type RouteChangeKind, type RouteDiff, type RouteView } from '../../route/route-diff.js';
import { codeSpan } from '../formats/markdown.js';
import { bothForms } from '../routable.js';

/**
 * The route diff of `chainmail plan --base` as text, Markdown (a pull request comment) and
 * JSON. The artifact diff follows it in the same output (plan.ts).
 */

/** How each kind of change is named in reports. */
export const CHANGE_LABELS: Readonly<Record<RouteChangeKind, string>> = {
  'loop-added': 'new loop',
  'recipient-added': 'recipient added',
  'recipient-removed': 'recipient removed',
  'now-failing': 'now bounced or refused',
  'loop-removed': 'loop fixed',
  'now-delivered': 'now delivered',
  'delivery-moved': 'delivered elsewhere',
  'failure-changed': 'fails differently',
  'next-hop-changed': 'next hop changed',
};

/** Rows shown in a Markdown table before the list is collapsed into `<details>`. */
export const MARKDOWN_OPEN_ROWS = 10;
/**
 * Rows of all tables of one Markdown report: a pull request comment has a size limit
 * (65,536 characters on GitHub), and a change that moves 100,000 mailboxes must still fit.
 * The text and JSON formats always list everything.
 */
export const MARKDOWN_MAX_ROWS = 100;

/** The probed address as shown: synthetic ones stand for every unknown recipient of their domain. */
export function shownRecipient(c: Pick<RouteChange, 'recipient' | 'synthetic'>): string {
  if (!c.synthetic) return bothForms(c.recipient);
  const domain = c.recipient.slice(c.recipient.lastIndexOf('@') + 1);
  return domain === FOREIGN_DOMAIN ? '(unknown)@(a domain nobody accepts)' : bothForms(`(unknown)@${domain}`);
}

/**
 * `exchange -> unix => bounced by unix 550 5.1.1`; the mailbox only when it is not the
 * recipient (an alias); with `hosts`, the next hops too (`exchange -> [192.168.1.20]:25 unix`).
 */
export function viewText(v: RouteView, recipient = '', hosts = false): string {
  const o = v.outcome;
  let systems = o.kind === 'external' ? v.path.slice(0, -1) : v.path;
  if (hosts && v.nextHops.length > 0) systems = [...systems.slice(0, 1), ...v.nextHops.map((h, i) => (systems[i + 1] !== undefined ? `${h} (${systems[i + 1]})` : h))];
  const code = `${o.code !== undefined ? `${o.code} ` : ''}${o.status ?? ''}`.trim();
  let end: string;
  switch (o.kind) {
    case 'delivered':
      end = `delivered by ${o.system ?? '?'}${o.mailbox && o.mailbox !== recipient ? ` to mailbox ${bothForms(o.mailbox)}` : ''}`;
      break;
    case 'external':
      end = `leaves for ${o.host ?? '?'}`;
      break;
    case 'refused':
      end = systems.length === 0 ? `refused: no gateway receives it ${code}` : `refused by ${o.system ?? '?'} ${code}`;
      break;
    case 'bounced':
      end = `bounced by ${o.system ?? '?'} ${code}`;
      break;
    case 'looped':
      end = `looped at ${o.system ?? '?'} ${code}${v.cycle ? ` (cycle ${v.cycle.join(' -> ')})` : ''}`;
      break;
  }
  return systems.length > 0 ? `${systems.join(' -> ')} => ${end}` : end;
}

/** Addresses per kind of change (an address changed from several entry points counts once). */
/** Both versions read the same without hosts: show the next hops, where the change is. */
function sameSystems(c: RouteChange): boolean {
  return viewText(c.before, c.recipient) === viewText(c.after, c.recipient);
}

function countByKind(diff: RouteDiff): Map<RouteChangeKind, number> {
  const seen = new Map<RouteChangeKind, Set<string>>();
  for (const c of diff.changes) {
    let s = seen.get(c.kind);
    if (!s) seen.set(c.kind, (s = new Set()));
    s.add(c.recipient);
  }
  return new Map([...seen].map(([k, s]) => [k, s.size]));
}

/** Addresses whose route changes (from any entry point). */
export function changedAddresses(diff: RouteDiff): number {
  return new Set(diff.changes.map((c) => c.recipient)).size;
}

/** `new loop: 3, recipient removed: 1` in report order. */
function kindList(diff: RouteDiff): string {
  const n = countByKind(diff);
  return CHANGE_KINDS.filter((k) => n.has(k))
    .map((k) => `${CHANGE_LABELS[k]}: ${n.get(k)}`)
    .join(', ');
}

const plural = (n: number, word: string, many = `${word}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;

function probedText(diff: RouteDiff): string {
  const p = diff.probed;
  return `${plural(p.addresses, 'address', 'addresses')} probed from ${p.from.join(', ')}`;
}

/** What "(unknown)@domain" and "from SYSTEM" mean, when the report uses them. */
function legend(diff: RouteDiff): string | undefined {
  const parts: string[] = [];
  if (diff.changes.some((c) => c.synthetic)) parts.push('(unknown)@DOMAIN stands for every recipient of DOMAIN that no system knows');
  if (diff.changes.some((c) => c.from.some((f) => f !== 'internet'))) parts.push('"from SYSTEM" is mail sent by a user of that system');
  return parts.length > 0 ? `${parts.join('; ')}.` : undefined;
}

function systemsText(diff: RouteDiff): string[] {
  const out: string[] = [];
  if (diff.systems.added.length > 0) out.push(`new system${diff.systems.added.length === 1 ? '' : 's'}: ${diff.systems.added.join(', ')} (routes from ${diff.systems.added.length === 1 ? 'it' : 'them'} have nothing to compare with)`);
  if (diff.systems.removed.length > 0) out.push(`removed system${diff.systems.removed.length === 1 ? '' : 's'}: ${diff.systems.removed.join(', ')}`);
  return out;
}

/** The summary line: what changed, or that nothing did. */
export function routeTotals(diff: RouteDiff): string {
  if (diff.changes.length === 0) return `No route changes: ${probedText(diff)}.`;
  return `Routes change for ${plural(changedAddresses(diff), 'address', 'addresses')} (${kindList(diff)}); ${probedText(diff)}.`;
}

const C = { red: '31', green: '32', yellow: '33', bold: '1', dim: '2' } as const;
const KIND_COLOR: Readonly<Record<RouteChangeKind, string>> = {
  'loop-added': C.red,
  'recipient-added': C.green,
  'recipient-removed': C.red,
  'now-failing': C.red,
  'loop-removed': C.green,
  'now-delivered': C.green,
  'delivery-moved': C.yellow,
  'failure-changed': C.yellow,
  'next-hop-changed': C.yellow,
};

/** Text: one block per changed address, grouped by kind, then the totals line. */
export function routeDiffText(diff: RouteDiff, baseLabel: string, color: boolean): string {
  const paint = (code: string, s: string): string => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const out: string[] = [];
  if (diff.changes.length > 0) out.push(paint(C.bold, `Route changes against ${baseLabel}:`), '');
  for (const kind of CHANGE_KINDS) {
    const list = diff.changes.filter((c) => c.kind === kind);
    if (list.length === 0) continue;
    out.push(paint(KIND_COLOR[kind], `${CHANGE_LABELS[kind]} (${plural(new Set(list.map((c) => c.recipient)).size, 'address', 'addresses')})`));
    list.forEach((c, i) => {
      if (list[i - 1]?.recipient !== c.recipient) out.push(`  ${paint(C.bold, shownRecipient(c))}`);
      out.push(paint(C.dim, `    from ${c.from.join(', ')}`));
      const hosts = sameSystems(c);
      out.push(`      before: ${viewText(c.before, c.recipient, hosts)}`, `      after:  ${viewText(c.after, c.recipient, hosts)}`);
    });
    out.push('');
  }
  for (const s of systemsText(diff)) out.push(`note: ${s}`);
  const l = legend(diff);
  if (l) out.push(paint(C.dim, l));
  out.push(routeTotals(diff));
  return `${out.join('\n')}\n`;
}

/**
 * A Markdown table cell: one line, pipes escaped; "<" and entity-like "&" as entities so a
 * value can never open an HTML tag ("->" and "=>" stay readable in the raw comment).
 */
function cell(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .replace(/&(?=#?\w+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\|/g, '\\|');
}

/** Inline code that survives backticks in the value (CommonMark: a longer fence), pipes escaped for a table cell. */
function code(s: string): string {
  return codeSpan(s).replace(/\|/g, '\\|');
}

/**
 * Markdown for a pull request comment: a summary table of the kinds of change, then one
 * table per kind; a kind with more than {@link MARKDOWN_OPEN_ROWS} addresses is collapsed
 * into `<details>`. No ANSI codes, no raw HTML from user values.
 */
export function routeDiffMarkdown(diff: RouteDiff, baseLabel: string): string {
  const out: string[] = ['#### Routes', ''];
  if (diff.changes.length === 0) {
    out.push(`No route changes against ${code(baseLabel)}: ${probedText(diff)}.`, '');
  } else {
    out.push(`Against ${code(baseLabel)}: **routes change for ${plural(changedAddresses(diff), 'address', 'addresses')}** (${probedText(diff)}).`, '');
    const counts = countByKind(diff);
    out.push('| change | addresses |', '| --- | ---: |');
    for (const k of CHANGE_KINDS) if (counts.has(k)) out.push(`| ${CHANGE_LABELS[k]} | ${counts.get(k)} |`);
    out.push('');
    let budget = MARKDOWN_MAX_ROWS;
    for (const kind of CHANGE_KINDS) {
      const all = diff.changes.filter((c) => c.kind === kind);
      if (all.length === 0) continue;
      const list = all.slice(0, Math.max(0, budget));
      budget -= list.length;
      const table = list.length > 0 ? ['| address | from | before | after |', '| --- | --- | --- | --- |'] : [];
      list.forEach((c, i) => {
        const who = list[i - 1]?.recipient === c.recipient ? '' : code(shownRecipient(c));
        const hosts = sameSystems(c);
        table.push(`| ${who} | ${cell(c.from.join(', '))} | ${cell(viewText(c.before, c.recipient, hosts))} | ${cell(viewText(c.after, c.recipient, hosts))} |`);
      });
      if (all.length > list.length) {
        if (table.length > 0) table.push('');
        table.push(`_${plural(all.length - list.length, 'more entry', 'more entries')} not shown: \`chainmail plan --format text\` or \`--format json\` lists them all._`);
      }
      const title = `${CHANGE_LABELS[kind]} (${plural(counts.get(kind) ?? 0, 'address', 'addresses')})`;
      if (all.length > MARKDOWN_OPEN_ROWS) out.push(`<details><summary>${cell(title)}</summary>`, '', ...table, '', '</details>', '');
      else out.push(`**${cell(title)}**`, '', ...table, '');
    }
  }
  for (const s of systemsText(diff)) out.push(`> ${cell(s)}`, '');
  const l = legend(diff);
  if (l) out.push(`_${cell(l).replace(/_/g, '\\_')}_`, '');
  return out.join('\n');
}

/** The JSON shape of the route diff (docs/plan.md). */
export function routeDiffJson(diff: RouteDiff, baseLabel: string): Record<string, unknown> {
  const counts = countByKind(diff);
  return {
    base: baseLabel,
    changes: diff.changes.map((c) => ({ ...c, from: [...c.from] })),
    summary: { addresses: changedAddresses(diff), changes: diff.changes.length, ...Object.fromEntries(CHANGE_KINDS.map((k) => [k, counts.get(k) ?? 0])) },
    probed: diff.probed,
    recipients: diff.recipients,
    systems: diff.systems,
  };
}
