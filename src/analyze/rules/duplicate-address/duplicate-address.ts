import { q } from '../../../diagnostics/diagnostic.js';
import { addressEntries, forEachAddress, type AddressRole, type OwnedAddress } from '../../indexes.js';
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
 * One pass with two maps: O(n) for the 100,000 addresses of a large mailbox file. The maps
 * hold the first holder of a key by its position in file order (a number, not an object per
 * address: `forEachAddress`); the entries of `addressEntries` are built only to describe a
 * clash, so a file without one builds none.
 */
export const duplicateAddress = defineRule({
  id: 'duplicate-address',
  defaultSeverity: 'error',
  description: 'one address on two objects (mailboxes, aliases, contact proxies)',
  check(ctx) {
    const resolving = new Map<string, number>();
    const directory = new Map<string, number>();
    let entries: readonly OwnedAddress[] | undefined;
    const entry = (n: number): OwnedAddress => (entries ??= addressEntries(ctx))[n] as OwnedAddress;
    /** The directory's holder of a key when it is another object. */
    const inDirectory = (key: string, object: OwnedAddress['object']): OwnedAddress | undefined => {
      const d = directory.get(key);
      return d !== undefined && entry(d).object !== object ? entry(d) : undefined;
    };
    let i = -1;
    forEachAddress(ctx.model, (address, at, role, owner, object) => {
      i++;
      const key = address.key;
      if (!key) return; // invalid-address reports it
      // a contact listing its own target again (`SMTP:target`, as in the seed's csvde row) is
      // that one address, not a second one; contact-primary-mismatch judges the prefix
      if (role === 'contact-proxy' && 'targetAddress' in object && object.targetAddress.key === key) return;
      let prev: OwnedAddress | undefined;
      if (role === 'contact-target') {
        prev = inDirectory(key, object);
      } else {
        const r = resolving.get(key);
        if (r !== undefined) prev = entry(r);
        else {
          resolving.set(key, i);
          if (role === 'contact-proxy') prev = inDirectory(key, object);
        }
      }
      if ((role === 'contact-target' || role === 'contact-proxy') && !directory.has(key)) directory.set(key, i);
      if (!prev) return;
      const first = `${ARTICLE[prev.role]} ${prev.owner}`;
      const second = `${ARTICLE[role]} ${owner}`;
      ctx.report({
        message:
          first === second
            ? `address ${q(address.display)} is listed twice as ${first}: remove one`
            : `address ${q(address.display)} is both ${first} and ${second}: keep it on one object`,
        at,
        related: [{ message: `first as ${first}`, at: prev.at }],
        data: { address: key, first: prev.role, second: role },
      });
    });
  },
});
