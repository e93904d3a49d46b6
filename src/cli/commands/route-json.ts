import type { Route } from '../../route/simulate.js';
import type { RouteClass, RouteMemo } from '../../routing/route-memo.js';
import { ByteWriter, CHUNK_BYTES, fills, PLACEHOLDERS, splitTemplate, type Addresses, type Template } from '../route-output.js';
import type { CliIo } from '../io.js';
import type { Progress } from '../progress.js';

/** The route in the shape of spec section 3 (hops also carry address and nextSystem). */
export function routeJson(r: Route): Record<string, unknown> {
  return {
    recipient: r.recipient,
    from: r.from,
    hops: r.hops.map((h) => ({
      system: h.system,
      decision: h.decision,
      reason: h.reason,
      ...(h.nextHop !== undefined ? { nextHop: h.nextHop } : {}),
      address: h.address,
      ...(h.nextSystem !== undefined ? { nextSystem: h.nextSystem } : {}),
    })),
    outcome: r.outcome,
    ...(r.cycle ? { cycle: r.cycle } : {}),
  };
}

const HEAD = '{\n  "version": 1,\n  "routes": [\n';
const TAIL = '\n  ]\n}';

/** One route as `JSON.stringify({ version: 1, routes: [...] }, null, 2)` prints it inside the document. */
function routeJsonText(r: Route): string {
  const doc = JSON.stringify({ version: 1, routes: [routeJson(r)] }, null, 2);
  return doc.slice(HEAD.length, doc.length - TAIL.length);
}

// the placeholders as JSON.stringify() prints them (U+0001 as \u0001)
const SLOTS = PLACEHOLDERS.map((p) => JSON.stringify(p).slice(1, -1));

/** A string as it appears between the quotes JSON.stringify() prints: itself unless it holds a quote, a backslash, a control character or a surrogate. */
function jsonChars(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s).slice(1, -1);
  }
  return s;
}

/**
 * `chainmail route --json` for many recipients (issue 19): `{ "version": 1, "routes": [...] }`,
 * byte for byte what JSON.stringify(doc, null, 2) prints, streamed. As for the text
 * (route-text.ts), the route memo gives a class; its route is printed once with placeholders
 * for the recipient, mailbox and contact, and each recipient's route is that template with
 * its own values (JSON-escaped) put in, checked once per class against the route printed
 * whole. A recipient without a class is printed whole. (Each route printed whole, by one
 * JSON.stringify per 500, was five times the text's cost.)
 */
export function writeRecipientsJson(addresses: Addresses, memo: RouteMemo, from: string, io: CliIo, bar: Progress, total?: number): void {
  const templates = new Map<RouteClass, Template | null>();
  const out = new ByteWriter(io);
  let n = 0;
  for (let a = addresses.next(); a !== undefined; a = addresses.next()) {
    out.text(n++ === 0 ? HEAD : ',\n');
    const c = memo.classify(a, from);
    if (c.leaf !== true) out.text(routeJsonText(c));
    else {
      const m = memo.mailbox;
      const to = c.rewriteAt >= 0 ? memo.target : '';
      const contact = memo.contact;
      let t = templates.get(c);
      if (t === undefined) templates.set(c, (t = template(memo, c)));
      // a class with a mailbox gives one to each of its recipients (route-memo.ts); were one
      // missing, its route would print no mailbox where the template has one
      if (t !== null && (m !== undefined || c.mailbox === undefined)) {
        const recipient = jsonChars(a);
        const mailbox = jsonChars(m ?? '');
        const target = jsonChars(to);
        const name = jsonChars(contact);
        if (!t.checked) {
          if (fills(t, [recipient, mailbox, target, name], routeJsonText(memo.instantiate(c, a, m, to, contact)))) t.checked = true;
          else templates.set(c, (t = null));
        }
        if (t !== null) out.template(t, recipient, mailbox, target, name);
        else out.text(routeJsonText(memo.instantiate(c, a, m, to, contact)));
      } else out.text(routeJsonText(memo.instantiate(c, a, m, to, contact)));
    }
    if (out.length >= CHUNK_BYTES) out.flush();
    bar.update(addresses.given, total);
  }
  out.text(n === 0 ? '{\n  "version": 1,\n  "routes": []\n}\n' : `${TAIL}\n`);
  out.flush();
}

function template(memo: RouteMemo, c: RouteClass): Template | null {
  const [r, m, t, name] = PLACEHOLDERS;
  return splitTemplate(routeJsonText(memo.instantiate(c, r, c.mailbox !== undefined ? m : undefined, t, name)), SLOTS);
}
