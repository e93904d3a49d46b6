import { q } from '../../../diagnostics/diagnostic.js';
import { directoryAddress } from '../../../text/directory-address.js';
import { formulaPrefix } from '../../../text/formula.js';
import { defineRule } from '../../rule.js';

/** The contact fields that become csvde columns of their own, in column order (CSVDE_HEADER). */
const FIELDS = ['cn', 'sn', 'givenName', 'displayName', 'targetAddress', 'mailNickname'] as const;

/**
 * KB 321721 method 2, step 2 imports the contacts with csvde and suggests preparing the CSV
 * in Excel. A cell that starts with `=`, `+`, `-` or `@` is a formula there (OWASP "CSV
 * injection"): Excel computes it, mangles it (`-1` becomes a number, `+x` an error), or,
 * with DDE, runs a program, and saving writes the result back instead of the name. The
 * csvde file keeps the value as written (prefixing it would change what csvde imports), so
 * this rule warns where the value is written. The dn, proxyAddresses and targetAddress
 * columns start with `CN=`, `smtp:` and `SMTP:` and are never formulas; the mail column is
 * the targetAddress itself.
 */
export const spreadsheetFormula = defineRule({
  id: 'spreadsheet-formula',
  defaultSeverity: 'warning',
  description: 'a contact value that a spreadsheet runs as a formula when the csvde file is edited in Excel',
  check(ctx) {
    const raw = ctx.model.config.contacts ?? [];
    for (const c of ctx.model.contacts) {
      const written = raw[c.path[1] as number];
      for (const field of FIELDS) {
        // displayName defaults to the cn: report it only where the file writes it
        if (field === 'displayName' && written?.displayName === undefined) continue;
        const value = field === 'targetAddress' ? (c.targetAddress.error ? undefined : directoryAddress(c.targetAddress)) : c[field];
        if (value === undefined) continue;
        const prefix = formulaPrefix(value);
        if (prefix === undefined) continue;
        const column = field === 'targetAddress' ? 'mail' : field;
        ctx.report({
          message: `${field === 'cn' ? `the cn ${q(value)} of a contact` : `${field} ${q(value)} of contact ${q(c.cn)}`} starts with ${q(prefix)}: Excel runs the ${column} cell of contacts.csv as a formula when the file is edited there; edit it in a text editor, or import contacts.ldif`,
          at: { path: [...c.path, field] },
          data: { contact: c.cn, field, value, prefix },
        });
      }
    }
  },
});
