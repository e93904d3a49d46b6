import type { SystemDecl } from '../../../model/model.js';
import { DEFAULT_MESSAGE_SIZE } from '../../../model/message-size.js';

/**
 * Postfix's default mailbox_size_limit and virtual_mailbox_limit (postconf(5): 51200000).
 * local(8) and virtual(8) refuse to run when it is smaller than message_size_limit
 * ("mailbox_size_limit is smaller than message_size_limit").
 */
export const DEFAULT_MAILBOX_SIZE_LIMIT = 51_200_000;

/**
 * The main.cf settings a real server needs besides the maps: what the file says
 * (maxMessageSize, mydestination), and comments for what only the host knows
 * (myhostname, TLS certificates), docs/postfix.md "A real server".
 */
export function serverLines(s: SystemDecl): string[] {
  const l: string[] = [];
  if (s.maxMessageSize !== undefined) {
    l.push(`# maxMessageSize of ${JSON.stringify(s.name)}: larger messages get 552 5.3.4 (the same limit on every system of a chain, message-size-shrinks)`);
    l.push(`message_size_limit = ${s.maxMessageSize}`);
    if (s.maxMessageSize > DEFAULT_MAILBOX_SIZE_LIMIT) {
      l.push('# local(8) and virtual(8) refuse to run when their limit is below message_size_limit');
      l.push(`mailbox_size_limit = ${s.maxMessageSize}`, `virtual_mailbox_limit = ${s.maxMessageSize}`);
    }
  } else {
    l.push(`# message_size_limit is left alone (Postfix's default is ${DEFAULT_MESSAGE_SIZE.postfix} bytes): set maxMessageSize in the file to change it`);
  }
  if (s.mydestination !== undefined) {
    l.push('# mydestination from the file: domains delivered as local UNIX accounts; none of them is a relay domain');
    l.push(`mydestination = ${s.mydestination.join(', ')}`.trimEnd());
  } else {
    l.push('# mydestination is left alone: it must not name a relay domain (or Postfix delivers it locally),');
    l.push('# check with: postconf -h mydestination');
  }
  l.push(
    '# Not set here: myhostname (the name this host greets with, its PTR and MX name) and TLS',
    '# (smtpd_tls_security_level = may with smtpd_tls_chain_files; smtp_tls_security_level = may): docs/postfix.md',
  );
  return l;
}
