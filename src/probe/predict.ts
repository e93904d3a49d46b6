import type { RoutingTable } from '../routing/table.js';
import { messageState, step } from '../routing/walk.js';

/**
 * The one place where `chainmail probe` asks the routing engine what a system should answer
 * at RCPT: one `step()` of the routing engine (src/routing/walk.ts), the same the simulator,
 * the rules and the relay take. Everything else of the probe works on {@link Prediction}s.
 */

/** What the engine says the system replies to `RCPT TO:<address>` from an anonymous client. */
export type Prediction =
  | { readonly reply: 'accept'; readonly why: string; readonly policy?: string; readonly connector?: string; readonly contact?: string; readonly chain?: string }
  | { readonly reply: 'refuse'; readonly code: number; readonly status: string; readonly why: string; readonly policy?: string; readonly chain?: string };

/**
 * The expected RCPT reply of `table`'s system for `address`, the probe connecting as an
 * SMTP client from the internet (the origin of every probe: it may not relay).
 */
export function predictRcpt(table: RoutingTable, address: string): Prediction {
  // the system's own decision at this hop: where the message would go next is not the probe's concern
  const d = step(new Map([[table.system, table]]), messageState(table, address, 'internet')).decision;
  const r = d.reason;
  const refs = {
    ...(r.policy !== undefined ? { policy: r.policy } : {}),
    ...(r.chain !== undefined ? { chain: r.chain } : {}),
  };
  switch (d.kind) {
    case 'refuse':
    case 'loop':
      return { reply: 'refuse', code: d.code, status: d.status, why: r.text, ...refs };
    default:
      // deliver, rewrite, forward, external: the system takes the recipient at RCPT
      return { reply: 'accept', why: r.text, ...refs, ...(r.connector !== undefined ? { connector: r.connector } : {}), ...(r.contact !== undefined ? { contact: r.contact } : {}) };
  }
}
