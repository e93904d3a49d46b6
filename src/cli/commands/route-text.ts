import type { Hop, Route } from '../../route/simulate.js';
import type { RouteClass, RouteMemo } from '../../routing/route-memo.js';
import type { CliIo } from '../io.js';
import type { Progress } from '../progress.js';
import { bothForms } from '../routable.js';

/** Routes written per stdout call: output streams for 100,000 recipients. */
const CHUNK = 500;

/** A class's text with the recipient (0), mailbox (1), contact's target (2) and name (3) left out: parts[0] slot[0] parts[1] ... */
interface Template {
  readonly parts: readonly string[];
  readonly slots: readonly number[];
  /** Compared once with routeText() of a recipient of the class. */
  checked: boolean;
}

// no "@": bothForms() leaves them as they are, as it leaves a plain ASCII address
const SLOT_RECIPIENT = '\u0001R\u0001';
const SLOT_MAILBOX = '\u0001M\u0001';
const SLOT_TARGET = '\u0001T\u0001';
const SLOT_CONTACT = '\u0001C\u0001';
const SLOTS = [SLOT_RECIPIENT, SLOT_MAILBOX, SLOT_TARGET, SLOT_CONTACT];

/**
 * The text of every recipient (issue 19): the route memo (src/routing/route-memo.ts) gives
 * a class; its text is rendered once, by routeText() of the class's route for placeholder
 * addresses, and each recipient's text is that template with its address (both forms),
 * mailbox and contact put in. A mailbox or target whose domain has two forms (IDN) and a
 * recipient without a class take routeText() itself. Pieces are joined once per chunk (no rope per recipient).
 */
export function writeRecipientsText(addresses: readonly string[], memo: RouteMemo, from: string, io: CliIo, color: boolean, bar: Progress): void {
  const templates = new Map<RouteClass, Template | null>();
  let buf: string[] = [];
  let routes = 0;
  for (let i = 0; i < addresses.length; i++) {
    const a = addresses[i] as string;
    const c = memo.classify(a, from);
    if (c.leaf !== true) buf.push(routeText(c, color));
    else {
      const m = memo.mailbox;
      const to = c.rewriteAt >= 0 ? memo.target : '';
      const values = [bothForms(a), m ?? '', to, memo.contact];
      let t = templates.get(c);
      if (t === undefined) templates.set(c, (t = template(memo, c, color)));
      if (t !== null && (m === undefined || bothForms(m) === m) && bothForms(to) === to) {
        if (!t.checked) {
          const start = buf.length;
          fill(buf, t, values);
          if (buf.slice(start).join('') !== routeText(memo.instantiate(c, a, m, to, memo.contact), color)) {
            // cannot happen unless a placeholder occurs in the file's own text: no template
            buf.length = start;
            templates.set(c, null);
            buf.push(routeText(memo.instantiate(c, a, m, to, memo.contact), color));
          } else t.checked = true;
        } else fill(buf, t, values);
      } else buf.push(routeText(memo.instantiate(c, a, m, to, memo.contact), color));
    }
    if (++routes === CHUNK) {
      io.stdout(buf.join(''));
      buf = [];
      routes = 0;
    }
    bar.update(i + 1, addresses.length);
  }
  if (buf.length > 0) io.stdout(buf.join(''));
}

function template(memo: RouteMemo, c: RouteClass, color: boolean): Template | null {
  const text = routeText(memo.instantiate(c, SLOT_RECIPIENT, c.mailbox !== undefined ? SLOT_MAILBOX : undefined, SLOT_TARGET, SLOT_CONTACT), color);
  const parts: string[] = [];
  const slots: number[] = [];
  let pos = 0;
  for (;;) {
    const at = text.indexOf('\u0001', pos);
    if (at === -1) break;
    const slot = SLOTS.findIndex((p) => text.startsWith(p, at));
    if (slot === -1) return null;
    parts.push(text.slice(pos, at));
    slots.push(slot);
    pos = at + SLOT_RECIPIENT.length;
  }
  parts.push(text.slice(pos));
  return { parts, slots, checked: false };
}

function fill(buf: string[], t: Template, values: readonly string[]): void {
  const { parts, slots } = t;
  buf.push(parts[0] as string);
  for (let i = 0; i < slots.length; i++) buf.push(values[slots[i] as number] as string, parts[i + 1] as string);
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
