import type { Hop, Route } from '../../route/simulate.js';
import type { RouteClass, RouteMemo } from '../../routing/route-memo.js';
import { ByteWriter, CHUNK_BYTES, fills, PLACEHOLDERS, splitTemplate, type Addresses, type Template } from '../route-output.js';
import type { CliIo } from '../io.js';
import type { Progress } from '../progress.js';
import { bothForms } from '../routable.js';

const [SLOT_RECIPIENT, SLOT_MAILBOX, SLOT_TARGET, SLOT_CONTACT] = PLACEHOLDERS;

/**
 * The text of every recipient (issue 19): the route memo (src/routing/route-memo.ts) gives
 * a class; its text is rendered once, by routeText() of the class's route for placeholder
 * addresses, and each recipient's text is that template with its address (both forms),
 * mailbox and contact put in. A mailbox or target whose domain has two forms (IDN) and a
 * recipient without a class take routeText() itself. The text goes as UTF-8 into one byte
 * buffer (the template's parts encoded once), written per 64 KiB: no string per recipient
 * and no join (issue 19, session 6: strings joined per 500 routes were half of the time).
 * `total`: the progress line's total, where one is drawn (AddressList.bound()).
 */
export function writeRecipientsText(addresses: Addresses, memo: RouteMemo, from: string, io: CliIo, color: boolean, bar: Progress, total?: number): void {
  const templates = new Map<RouteClass, Template | null>();
  const out = new ByteWriter(io);
  for (let a = addresses.next(); a !== undefined; a = addresses.next()) {
    const c = memo.classify(a, from);
    if (c.leaf !== true) out.text(routeText(c, color));
    else {
      const m = memo.mailbox;
      const to = c.rewriteAt >= 0 ? memo.target : '';
      let t = templates.get(c);
      if (t === undefined) templates.set(c, (t = template(memo, c, color)));
      // an address in comparison form (its own key) shows in both forms only when its
      // domain has two: decided once per domain, not per recipient
      const k = memo.key;
      const recipient = k !== undefined && k.key === a ? (oneForm(k.domain) ? a : bothForms(a)) : bothForms(a);
      if (t !== null && (m === undefined || (m === a ? recipient === a : bothForms(m) === m)) && (to === '' || bothForms(to) === to)) {
        if (!t.checked) {
          // the template's text for this recipient, once, against routeText() of its route
          if (fills(t, [recipient, m ?? '', to, memo.contact], routeText(memo.instantiate(c, a, m, to, memo.contact), color))) t.checked = true;
          else templates.set(c, (t = null));
        }
        if (t !== null) out.template(t, recipient, m ?? '', to, memo.contact);
        else out.text(routeText(memo.instantiate(c, a, m, to, memo.contact), color));
      } else out.text(routeText(memo.instantiate(c, a, m, to, memo.contact), color));
    }
    if (out.length >= CHUNK_BYTES) out.flush();
    bar.update(addresses.given, total);
  }
  out.flush();
}

/** Domains (comparison form) by whether an address in them has one form only (bothForms() gives it back). */
const oneFormDomains = new Map<string, boolean>();

function oneForm(domain: string): boolean {
  let one = oneFormDomains.get(domain);
  if (one === undefined) {
    const probe = `x@${domain}`;
    one = bothForms(probe) === probe;
    // bounded like the routing engine's domain cache
    if (oneFormDomains.size >= 10_000) oneFormDomains.clear();
    oneFormDomains.set(domain, one);
  }
  return one;
}

function template(memo: RouteMemo, c: RouteClass, color: boolean): Template | null {
  return splitTemplate(routeText(memo.instantiate(c, SLOT_RECIPIENT, c.mailbox !== undefined ? SLOT_MAILBOX : undefined, SLOT_TARGET, SLOT_CONTACT), color), PLACEHOLDERS);
}

const C = { green: '\u001b[32m', red: '\u001b[31m', yellow: '\u001b[33m', cyan: '\u001b[36m', bold: '\u001b[1m', dim: '\u001b[2m', reset: '\u001b[0m' };

/** One recipient as text: a header, one line per hop, then the outcome (exim -bt style). */
export function routeText(r: Route, color = false): string {
  // lines joined into one flat string: appending to a string builds a rope, and a chunk of
  // 500 ropes made every young-generation GC ten times as slow (--trace-gc)
  const lines = [paint(color, C.bold, bothForms(r.recipient)) + (r.from === 'internet' ? '' : paint(color, C.dim, ` (from ${r.from})`))];
  let sw = 0;
  let dw = 0;
  for (const h of r.hops) {
    if (h.system.length > sw) sw = h.system.length;
    if (h.decision.length > dw) dw = h.decision.length;
  }
  let current = r.recipient;
  for (const h of collapseRepeats(r.hops)) {
    if ('repeated' in h) {
      lines.push(paint(color, C.dim, `  ... ${h.repeated} more hops round the same cycle (${h.cycle.join(' -> ')})`));
      continue;
    }
    let reason = h.reason;
    if (h.address !== current) {
      reason = `${bothForms(h.address)}: ${reason}`;
      current = h.address;
    }
    const next = h.nextHop !== undefined ? ` -> ${h.nextHop}${h.nextSystem !== undefined ? ` (${h.nextSystem})` : ''}` : '';
    lines.push(`  ${h.system.padEnd(sw)}  ${h.decision.padEnd(dw)}  ${reason}${paint(color, C.cyan, next)}`);
  }
  lines.push(`  ${outcomeText(r, color)}`, '', '');
  return lines.join('\n');
}

function paint(color: boolean, code: string, s: string): string {
  return color ? `${code}${s}${C.reset}` : s;
}

/**
 * A loop walked to the hop limit repeats the same hops many times: text output shows the
 * cycle once and counts the rest (--json keeps every hop).
 */
function collapseRepeats(hops: readonly Hop[]): readonly (Hop | { repeated: number; cycle: string[] })[] {
  // a repeat needs a system twice (the signature starts with it); most routes pass each
  // system once, and need no signature strings (nor a copy) at all (100,000 routes)
  if (!systemRepeats(hops)) return hops;
  const sig = (h: Hop | undefined): string => (h ? `${h.system}\u0000${h.decision}\u0000${h.address}\u0000${h.reason}\u0000${h.nextHop ?? ''}` : '');
  const first = new Map<string, number>();
  for (let j = 0; j < hops.length; j++) {
    const s = sig(hops[j]);
    const i = first.get(s);
    if (i === undefined) {
      first.set(s, j);
      continue;
    }
    const period = j - i;
    let k = j;
    while (k < hops.length && sig(hops[k]) === sig(hops[k - period])) k++;
    if (k - j < 2) return [...hops];
    const cycle = [...hops.slice(i, j).map((h) => h.system), hops[j]?.system ?? ''];
    return [...hops.slice(0, j), { repeated: k - j, cycle }, ...hops.slice(k)];
  }
  return [...hops];
}

function systemRepeats(hops: readonly Hop[]): boolean {
  // equal signatures need the same system, decision and address (a contact's rewrite and
  // its forward pass one system twice, but as two decisions: no signature built for them);
  // an address with a NUL could make two different hops' signatures equal, so it counts
  for (let i = 1; i < hops.length; i++) {
    const a = hops[i] as Hop;
    for (let j = 0; j < i; j++) {
      const b = hops[j] as Hop;
      if (a.system === b.system && a.decision === b.decision && (a.address === b.address || a.address.includes('\u0000') || b.address.includes('\u0000'))) return true;
    }
  }
  return false;
}

function outcomeText(r: Route, color: boolean): string {
  const o = r.outcome;
  const code = `${o.code !== undefined ? `${o.code} ` : ''}${o.status ?? ''}`.trim();
  switch (o.kind) {
    case 'delivered':
      return paint(color, C.green, `=> delivered by ${o.system ?? '?'}${o.mailbox ? ` to mailbox ${bothForms(o.mailbox)}` : ''}`);
    case 'external':
      return paint(color, C.cyan, `=> external: leaves the organisation for ${o.host ?? '?'}`);
    case 'refused':
      if (r.hops.length === 0) return paint(color, C.red, `=> refused: no system of the file is a gateway (gateway: true) to receive it: ${code}`);
      return paint(color, C.red, `=> refused by ${o.system ?? '?'}: ${code}`) + paint(color, C.dim, ' (at RCPT: the client sees it, no NDR)');
    case 'bounced': {
      // the system that forwarded it last accepted the message and returns the NDR
      const before = r.hops.findLast((h) => h.decision === 'forward')?.system;
      return paint(color, C.red, `=> bounced by ${o.system ?? '?'}: ${code}`) + paint(color, C.dim, before ? ` (${before} returns the NDR to the sender)` : '');
    }
    case 'looped':
      return paint(color, C.yellow, `=> looped at ${o.system ?? '?'}: ${code}`) + (r.cycle ? paint(color, C.dim, ` (cycle: ${r.cycle.join(' -> ')})`) : '');
  }
}
