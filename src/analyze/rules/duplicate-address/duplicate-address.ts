import { q } from '../../../diagnostics/diagnostic.js';
import { addressEntries, type AddressRole, type OwnedAddress } from '../../indexes.js';
import { defineRule } from '../../rule.js';

const ARTICLE: Readonly<Record<AddressRole, string>> = {
  mailbox: 'a',
  alias: 'an',
  'contact-proxy': 'a',
  'contact-target': 'the',
};

/**
 * One address on two objects. An address must resolve to exactly one recipient: Exchange
 * refuses a proxy address that another object already has, and a Postfix map with two
 * entries for one key keeps only one of them, so which object gets the mail depends on the
 * build. Compared by key (lower-cased local part, A-label domain).
 *
 * Which pairs clash: mailboxes, aliases and contact proxy addresses are the addresses that
 * resolve to an object, so any two of them clash. A contact's targetAddress is its primary
 * SMTP address in the directory, so it clashes with another contact's target or proxy
 * address; it does not clash with its own proxy that repeats it (the seed's csvde row lists
 * the target again as `SMTP:`) nor with a mailbox or alias, which is where the contact's mail goes
 * when the remote system is part of the file.
 *
 * One pass with two maps: O(n) for the 100,000 addresses of a large mailbox file.
 */
export const duplicateAddress = defineRule({
  id: 'duplicate-address',
  defaultSeverity: 'error',
  description: 'one address on two objects (mailboxes, aliases, contact proxies)',
  check(ctx) {
    const resolving = new Map<string, OwnedAddress>();
    const directory = new Map<string, OwnedAddress>();
    for (const e of addressEntries(ctx)) {
      const key = e.address.key;
      if (!key) continue; // invalid-address reports it
      // a contact listing its own target again (`SMTP:target`, as in the seed's csvde row) is
      // that one address, not a second one; contact-primary-mismatch judges the prefix
      if (e.role === 'contact-proxy' && 'targetAddress' in e.object && e.object.targetAddress.key === key) continue;
      let prev: OwnedAddress | undefined;
      if (e.role === 'contact-target') {
        const d = directory.get(key);
        if (d && d.object !== e.object) prev = d;
      } else {
        prev = resolving.get(key);
        if (!prev && e.role === 'contact-proxy') {
          const d = directory.get(key);
          if (d && d.object !== e.object) prev = d;
        }
      }
      if (e.role !== 'contact-target' && !resolving.has(key)) resolving.set(key, e);
      if ((e.role === 'contact-target' || e.role === 'contact-proxy') && !directory.has(key)) directory.set(key, e);
      if (!prev) continue;
      const first = `${ARTICLE[prev.role]} ${prev.owner}`;
      const second = `${ARTICLE[e.role]} ${e.owner}`;
      ctx.report({
        message:
          first === second
            ? `address ${q(e.address.display)} is listed twice as ${first}: remove one`
            : `address ${q(e.address.display)} is both ${first} and ${second}: keep it on one object`,
        at: e.at,
        related: [{ message: `first as ${first}`, at: prev.at }],
        data: { address: key, first: prev.role, second: e.role },
      });
    }
  },
});
