import { foldLongLines, rfc5322Date } from './message.js';

/** One recipient a DSN reports on (RFC 3464 section 2.3). */
export interface DsnRecipient {
  /** The address the failure is about (after contact/alias rewriting). */
  readonly final: string;
  /** The address the client gave, when rewriting changed it (Original-Recipient). */
  readonly original?: string;
  /** Enhanced status code (RFC 3463), e.g. 5.1.1. */
  readonly status: string;
  /** The next hop that answered, as written (`[127.0.0.1]:2526`). */
  readonly remoteMta?: string;
  /** The reply of the next hop or our own reason, e.g. `550 5.1.1 no such user`. */
  readonly diagnostic: string;
}

export interface DsnInput {
  /** Our name (Reporting-MTA, the From: domain). */
  readonly hostname: string;
  /** Queue id of the message reported on. */
  readonly queueId: string;
  /** Queue id of the DSN itself (Message-ID, boundary). */
  readonly dsnId: string;
  readonly arrival: Date;
  readonly date: Date;
  /** The envelope sender of the original message: the DSN's recipient. */
  readonly sender: string;
  readonly recipients: readonly DsnRecipient[];
  /** The header section of the original message, as accepted. */
  readonly headers: Buffer;
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A failure DSN (RFC 3464 and RFC 6522 multipart/report): a human-readable part, a
 * message/delivery-status part with one block per failed recipient, and the original
 * headers. When an address or a header is not ASCII the internationalised types of
 * RFC 6533 are used (message/global-delivery-status, message/global-headers, utf-8
 * address type). Postfix's bounce(8) layout is the model.
 */
export function buildDsn(d: DsnInput): { body: Buffer; utf8: boolean } {
  const utf8 =
    NON_ASCII.test(d.sender) ||
    d.recipients.some((r) => NON_ASCII.test(r.final) || NON_ASCII.test(r.original ?? '')) ||
    d.headers.some((b) => b > 0x7f);
  const boundary = `${d.dsnId}/${d.hostname}`;
  const addrType = (a: string): string => (NON_ASCII.test(a) ? `utf-8; ${a}` : `rfc822; ${a}`);
  const human = [
    `This is the mail system at host ${d.hostname}.`,
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients. It is attached below.',
    '',
    ...d.recipients.map((r) => `<${r.final}>${r.original ? ` (expanded from <${r.original}>)` : ''}: ${r.diagnostic}`),
    '',
  ];
  const perMessage = [`Reporting-MTA: dns; ${d.hostname}`, `X-Chainmail-Queue-ID: ${d.queueId}`, `Arrival-Date: ${rfc5322Date(d.arrival)}`];
  const perRecipient = d.recipients.map((r) =>
    [
      `Final-Recipient: ${addrType(r.final)}`,
      ...(r.original ? [`Original-Recipient: ${addrType(r.original)}`] : []),
      'Action: failed',
      `Status: ${r.status}`,
      ...(r.remoteMta ? [`Remote-MTA: dns; ${r.remoteMta}`] : []),
      `Diagnostic-Code: smtp; ${r.diagnostic.replace(/[\r\n]+/g, ' ')}`,
    ].join('\r\n'),
  );
  // the DSN is a message we write: its lines must fit RFC 5322 section 2.1.1, also where
  // it quotes a header line that a broken sender made longer (docs/relay.md "Long lines")
  const original = foldLongLines(d.headers);
  const headers = original.length > 0 && !original.subarray(-2).equals(Buffer.from('\r\n')) ? Buffer.concat([original, Buffer.from('\r\n')]) : original;
  const text = [
    `Date: ${rfc5322Date(d.date)}`,
    `From: MAILER-DAEMON@${d.hostname} (Mail Delivery System)`,
    `Subject: Undelivered Mail Returned to Sender`,
    `To: ${d.sender}`,
    'Auto-Submitted: auto-replied',
    `Message-ID: <${d.dsnId}@${d.hostname}>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    `\tboundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${utf8 ? '8bit' : '7bit'}`,
    '',
    ...human,
    `--${boundary}`,
    'Content-Description: Delivery report',
    `Content-Type: message/${utf8 ? 'global-delivery-status' : 'delivery-status'}`,
    '',
    perMessage.join('\r\n'),
    '',
    ...perRecipient.flatMap((b) => [b, '']),
    `--${boundary}`,
    'Content-Description: Undelivered Message Headers',
    `Content-Type: ${utf8 ? 'message/global-headers' : 'text/rfc822-headers'}`,
    '',
    '',
  ].join('\r\n');
  return { body: Buffer.concat([Buffer.from(text, 'utf8'), headers, Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8')]), utf8 };
}
