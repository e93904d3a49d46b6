import type { Address } from '../model/model.js';

/**
 * An address as Active Directory stores it: the local part as written (case kept, as in the
 * seed's `internetUser@remote.domain`), the domain as A-label (Exchange 2000/2003 and SMTP
 * without SMTPUTF8 know no U-labels). Invalid addresses are kept as written: lint reports them.
 */
export function directoryAddress(a: Address): string {
  if (a.error || !a.domain.ascii) return a.display;
  return `${a.local}@${a.domain.ascii}`;
}
