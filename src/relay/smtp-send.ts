import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Readable } from 'node:stream';
import type { MessageBody } from './body.js';

// One SMTP transaction on an open connection, and the reading of its replies
// (RFC 5321, RFC 3463), for the next-hop delivery in next-hop.ts.

/** The outcome for one recipient of a forwarded message. */
export interface RecipientResult {
  readonly ok: boolean;
  /** A temporary failure (4xx, no connection): retry later. */
  readonly temporary: boolean;
  /** Enhanced status code (RFC 3463) from the reply, or ours. */
  readonly status: string;
  /** The reply of the next hop, or what went wrong. */
  readonly diagnostic: string;
  /** The connection was lost after the end of data: the next hop may have it (RFC 1047). */
  readonly rfc1047?: true;
}

export interface HopEnvelope {
  readonly from: string;
  readonly to: readonly string[];
  readonly utf8: boolean;
  readonly body8: boolean;
}

export type SendOutcome =
  | { kind: 'replied'; results: RecipientResult[]; reusable: boolean }
  | { kind: 'connection'; results: RecipientResult[]; reusable: false; anyReply: boolean; error: string };

interface MailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: MailerError[];
}

export function sendOne(conn: SMTPConnection, envelope: HopEnvelope, body: MessageBody): Promise<SendOutcome> {
  return new Promise((resolve) => {
    conn.send(
      { from: envelope.from === '' ? false : envelope.from, to: [...envelope.to], size: body.length, use8BitMime: envelope.body8 },
      messageData(body),
      (err, info) => {
        const rejected = new Map<string, MailerError>();
        for (const e of ((err as MailerError | null)?.rejectedErrors ?? info?.rejectedErrors ?? []) as MailerError[]) {
          if (e.recipient !== undefined) rejected.set(e.recipient, e);
        }
        if (!err) {
          const results = envelope.to.map((to) => {
            const r = rejected.get(to);
            return r ? fromReply(r) : { ok: true, temporary: false, status: statusOf(info?.response ?? '250', 250), diagnostic: info?.response ?? '250' };
          });
          resolve({ kind: 'replied', results, reusable: true });
          return;
        }
        const e = err as MailerError;
        if (e.responseCode !== undefined) {
          // the server answered: MAIL refused, every RCPT refused, or the message refused;
          // the session is reused only after RSET ends the failed transaction
          const results = envelope.to.map((to) => fromReply(rejected.get(to) ?? e));
          if (e.responseCode === 421) {
            resolve({ kind: 'replied', results, reusable: false });
            return;
          }
          try {
            conn.reset((resetErr) => resolve({ kind: 'replied', results, reusable: !resetErr }));
          } catch {
            resolve({ kind: 'replied', results, reusable: false });
          }
          return;
        }
        const error = `${e.code ?? 'error'}: ${e.message}`;
        const failure: RecipientResult = { ok: false, temporary: true, status: '4.4.2', diagnostic: `lost connection: ${e.message}` };
        resolve({ kind: 'connection', results: envelope.to.map(() => failure), reusable: false, anyReply: rejected.size > 0, error });
      },
    );
  });
}

/** The message data for nodemailer: one piece as it is, several (a large message) as a stream of them, never joined (issue 20). */
function messageData(body: MessageBody): Buffer | Readable {
  return body.parts.length === 1 ? (body.parts[0] as Buffer) : body.stream();
}

/** "Too many recipients" (RFC 5321 section 4.5.3.1.10: 452, or a 552 a client should take as 452). */
export function tooManyRecipients(r: RecipientResult): boolean {
  return /^452[ -]/.test(r.diagnostic) || r.status === '4.5.3' || TOO_MANY_552.test(r.diagnostic);
}

/** A 552 that says "too many recipients" (enhanced status 5.5.3, RFC 3463), not "message too big". */
const TOO_MANY_552 = /^552[ -](?:.*\b5\.5\.3\b|.*too many recipients)/i;

function fromReply(e: MailerError): RecipientResult {
  const code = e.responseCode ?? 451;
  const response = (e.response ?? `${code} ${e.message}`).replace(/[\r\n]+/g, ' ').slice(0, 900);
  // RFC 5321 section 4.5.3.1.10: a 552 for too many recipients is to be taken as 452
  const temporary = code < 500 || TOO_MANY_552.test(response);
  return { ok: false, temporary, status: statusOf(response, code), diagnostic: response };
}

/** The enhanced status code of a reply (RFC 3463), or the generic one for its class. */
export function statusOf(reply: string, code: number): string {
  const m = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply);
  if (m?.[1]) return m[1];
  return code >= 500 ? '5.0.0' : code >= 400 ? '4.0.0' : '2.0.0';
}
