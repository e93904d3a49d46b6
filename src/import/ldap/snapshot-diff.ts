import * as jsYaml from 'js-yaml';

/** One recipient that differs between two snapshots. */
export interface RecipientChange {
  readonly kind: '+' | '-' | '~';
  /** `mailbox a@x` or `contact a@x` (the contact's targetAddress). */
  readonly recipient: string;
  /** What it is after (added, changed) or was (removed), in one line. */
  readonly detail: string;
  readonly before?: string;
}

/**
 * The recipients of the old snapshot text and the new snapshot document compared: mailboxes by address, contacts by
 * targetAddress (both case-insensitively), each described by the rest of its fields.
 * Both sides are read the same way, so a rewritten but equal file is no change.
 */
export function diffSnapshots(before: string | undefined, after: unknown): RecipientChange[] {
  const a = before === undefined ? new Map<string, string>() : recipients(parsed(before));
  const b = recipients(after);
  const out: RecipientChange[] = [];
  for (const [k, v] of b) {
    const old = a.get(k);
    if (old === undefined) out.push({ kind: '+', recipient: k, detail: v });
    else if (old !== v) out.push({ kind: '~', recipient: k, detail: v, before: old });
  }
  for (const [k, v] of a) if (!b.has(k)) out.push({ kind: '-', recipient: k, detail: v });
  return out.sort((x, y) => (x.recipient < y.recipient ? -1 : x.recipient > y.recipient ? 1 : x.kind < y.kind ? -1 : 1));
}

/** `+ mailbox a@x (aliases: b@x)`, `~ contact t@y: (was) -> (now)`. */
export function changeLine(c: RecipientChange): string {
  if (c.kind === '~') return `~ ${c.recipient}: ${c.before ?? ''} -> ${c.detail}`;
  return `${c.kind} ${c.recipient}${c.detail === '' ? '' : ` ${c.detail}`}`;
}

function parsed(text: string): unknown {
  try {
    return jsYaml.load(text);
  } catch {
    return undefined;
  }
}

/** Recipients of a snapshot document (as YAML reads it, or as SnapshotBuilder.document() gives it). */
function recipients(doc: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const put = (k: string, v: string): void => {
    const had = out.get(k);
    out.set(k, had === undefined ? v : [had, v].sort().join(' | '));
  };
  const root = isObject(doc) ? doc : {};
  const systems = isObject(root['systems']) ? root['systems'] : {};
  for (const sys of Object.values(systems)) {
    const list = isObject(sys) && Array.isArray(sys['mailboxes']) ? sys['mailboxes'] : [];
    for (const m of list) {
      if (typeof m === 'string') put(`mailbox ${m.toLowerCase()}`, '');
      else if (isObject(m) && typeof m['address'] === 'string') {
        const aliases = Array.isArray(m['aliases']) ? m['aliases'].map(String) : [];
        put(`mailbox ${m['address'].toLowerCase()}`, aliases.length > 0 ? `(aliases: ${aliases.join(', ')})` : '');
      }
    }
  }
  for (const c of Array.isArray(root['contacts']) ? root['contacts'] : []) {
    if (!isObject(c) || typeof c['targetAddress'] !== 'string') continue;
    const fields = Object.entries(c)
      .filter(([k]) => k !== 'targetAddress' && k !== 'system')
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
    put(`contact ${c['targetAddress'].toLowerCase()}`, `(${fields.join('; ')})`);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
