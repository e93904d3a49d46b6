import { q } from '../../../diagnostics/diagnostic.js';
import type { ContactDecl } from '../../../model/model.js';
import { yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';

/**
 * KB 321721 method 2, step 2: `mailNickname` belongs to the minimum attribute set of a
 * mail-enabled contact, and "without it the E-mail Addresses tab does not appear" for the
 * object: Exchange does not treat it as mail-enabled, and the Recipient Update Service
 * never stamps its addresses. The fix derives one as the seed does (`internetuser` for
 * `internetUser@remote.domain`; a Japanese name falls back to a secondary address's local
 * part, then the cn).
 */
export const contactMissingNickname = defineRule({
  id: 'contact-missing-nickname',
  defaultSeverity: 'error',
  description: 'a contact without mailNickname',
  check(ctx) {
    for (const c of ctx.model.contacts) {
      if (c.mailNickname !== undefined) continue;
      const nickname = deriveNickname(c);
      ctx.report({
        message: `contact ${q(c.cn)} has no mailNickname: Exchange does not show its E-mail Addresses tab and does not mail-enable it`,
        at: { path: c.path },
        fix: { description: `add mailNickname ${q(nickname)} (from the local part of an address, or the cn)`, yaml: yamlSnippet({ mailNickname: nickname }) },
        data: { contact: c.cn, mailNickname: nickname },
      });
    }
  },
});

/**
 * An Exchange alias: ASCII letters, digits and ! # $ % & ' * + - / = ? ^ _ ` { | } ~,
 * with single dots between them; lower case as in the seed's example row.
 */
export function deriveNickname(c: Pick<ContactDecl, 'cn' | 'targetAddress' | 'proxyAddresses'>): string {
  const clean = (s: string): string =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9!#$%&'*+\-/=?^_`{|}~.]/g, '')
      .replace(/\.{2,}/g, '.')
      .replace(/^\.+|\.+$/g, '')
      .slice(0, 64);
  for (const local of [c.targetAddress.local, ...c.proxyAddresses.map((p) => p.address.local), c.cn]) {
    const n = clean(local.replace(/^"|"$/g, ''));
    if (n) return n;
  }
  return 'contact';
}
