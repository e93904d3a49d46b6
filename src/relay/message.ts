/** What the relay checks in a message before it accepts it. */
export interface MessageScan {
  /** Why the message is refused at the end of DATA, if it is. */
  readonly problem?: { readonly code: number; readonly status: string; readonly text: string };
  /** `Received:` fields in the header section (the hop count, RFC 5321 section 6.3). */
  readonly received: number;
  /** Length of the header section, up to and including the empty line (or the whole message). */
  readonly headerLength: number;
}

/**
 * One pass over the message as received (dot-unstuffed): NUL bytes, bare CR or LF (the
 * SMTP smuggling class, CVE-2023-51764: a line end other than CRLF must never reach a
 * server that might read it as one), lines longer than an operator's `maxLineLength`, and
 * the count of Received: fields of the header section.
 *
 * `maxLineLength` 0 (the default) accepts lines of any length up to the message size
 * limit: RFC 5321 section 4.5.3.1 asks for "implementation techniques that impose no
 * limits on the length of these objects", and Postfix's smtpd accepts them too (postconf(5)
 * line_length_limit: longer lines are stored as several records and reconstructed on
 * delivery). Lines over RFC 5322's 998 come from broken senders; refusing them loses mail
 * that the other systems of the organisation would deliver (docs/relay.md "Long lines").
 *
 * The message may come in pieces (the chunks of DATA, src/relay/body.ts): a line may span
 * them, and the answer is the one for the pieces joined (test/relay/scan-pieces.test.ts).
 */
export function scanMessage(message: Buffer | readonly Buffer[], maxLineLength: number): MessageScan {
  const scanner = new Scanner(maxLineLength);
  if (Buffer.isBuffer(message)) scanner.feed(message);
  else for (const part of message) scanner.feed(part);
  return scanner.end();
}

const BARE_LINE_END: MessageScan['problem'] = { code: 550, status: '5.6.0', text: 'message contains a bare CR or LF; lines must end with CRLF (RFC 5321 section 2.3.8)' };
const NUL_PROBLEM: MessageScan['problem'] = { code: 550, status: '5.6.0', text: 'message contains NUL characters (RFC 5321 section 4.1.4)' };

/**
 * scanMessage() over pieces: the lines within a piece are checked as in one buffer (indexOf
 * for LF and CR); of a line that spans pieces, what is known so far (its length, whether
 * its last byte is a CR, whether a CR came before that, how far it matches "Received:") is
 * kept until its LF.
 */
class Scanner {
  readonly #max: number;
  #nul = false;
  /** The first problem of a line, in message order (a NUL anywhere wins over it). */
  #problem: MessageScan['problem'];
  #received = 0;
  #headerLength = -1;
  /** Bytes scanned before the current piece. */
  #offset = 0;
  /** The current line: bytes so far (without its LF), last byte a CR, a CR before that. */
  #lineLength = 0;
  #endsCr = false;
  #innerCr = false;
  /** How the line's start matches "Received" WSP* ":": 0-8 letters matched, 9 in the WSP, 10 yes, -1 no. */
  #field = 0;

  constructor(maxLineLength: number) {
    this.#max = maxLineLength;
  }

  feed(buf: Buffer): void {
    if (!this.#nul && buf.indexOf(0) >= 0) this.#nul = true;
    const len = buf.length;
    let pos = 0;
    // the end of a line that began in an earlier piece
    if (this.#lineLength > 0) {
      const lf = buf.indexOf(0x0a);
      if (lf < 0) {
        this.#content(buf, 0, len);
        this.#offset += len;
        return;
      }
      if (lf > 0) this.#content(buf, 0, lf);
      const length = this.#lineLength;
      this.#line(length === 0 || !this.#endsCr || this.#innerCr, length - 1, this.#offset + lf, this.#field === 10);
      this.#lineLength = 0;
      this.#endsCr = false;
      this.#innerCr = false;
      this.#field = 0;
      pos = lf + 1;
    }
    // whole lines: the one-buffer loop, with indexOf for LF and CR
    while (pos < len) {
      const lf = buf.indexOf(0x0a, pos);
      if (lf < 0) {
        // a line that goes on in the next piece (or ends the message without its LF)
        this.#content(buf, pos, len);
        break;
      }
      const cr = buf.indexOf(0x0d, pos);
      const lineLength = lf - 1 - pos;
      this.#line(lf === pos || buf[lf - 1] !== 0x0d || (cr >= 0 && cr < lf - 1), lineLength, this.#offset + lf, this.#headerLength < 0 && lineLength > 0 && isReceived(buf, pos));
      pos = lf + 1;
    }
    this.#offset += len;
  }

  /**
   * One line, ended by the LF at `at` (an offset in the message): `bare` when it does not
   * end with CRLF or has a CR before that; `lineLength` without its CR; `received` when it
   * starts a Received: field.
   */
  #line(bare: boolean, lineLength: number, at: number, received: boolean): void {
    if (bare) this.#problem ??= BARE_LINE_END;
    if (this.#max > 0 && lineLength > this.#max) {
      this.#problem ??= { code: 550, status: '5.6.0', text: `message has a line longer than ${this.#max} characters (the relay's maxLineLength)` };
    }
    if (this.#headerLength < 0) {
      if (lineLength <= 0) this.#headerLength = at + 1;
      else if (received) this.#received++;
    }
  }

  end(): MessageScan {
    // a last line without its LF
    if (this.#lineLength > 0) this.#problem ??= BARE_LINE_END;
    const problem = this.#nul ? NUL_PROBLEM : this.#problem;
    return { ...(problem ? { problem } : {}), received: this.#received, headerLength: this.#headerLength < 0 ? this.#offset : this.#headerLength };
  }

  /** Bytes start..end of `buf` (no LF among them) go on the current line. */
  #content(buf: Buffer, start: number, end: number): void {
    // a CR is allowed only as the line's last byte
    if (this.#endsCr) this.#innerCr = true;
    const cr = buf.indexOf(0x0d, start);
    if (cr >= 0 && cr < end - 1) this.#innerCr = true;
    this.#endsCr = buf[end - 1] === 0x0d;
    if (this.#headerLength < 0) this.#matchField(buf, start, end);
    this.#lineLength += end - start;
  }

  #matchField(buf: Buffer, start: number, end: number): void {
    let i = start;
    while (i < end && this.#field >= 0 && this.#field < 10) {
      const c = buf[i]!;
      if (this.#field < 8) this.#field = (c | 0x20) === RECEIVED[this.#field] ? this.#field + 1 : -1;
      else if (c === 0x3a) this.#field = 10;
      else this.#field = c === 0x20 || c === 0x09 ? 9 : -1;
      i++;
    }
  }
}

/** RFC 5322 section 2.1.1: a line MUST be no more than 998 characters, without CRLF. */
export const RFC5322_LINE_LIMIT = 998;

/**
 * Header lines of a message the relay itself writes (the headers a DSN returns) made to fit
 * RFC 5322 section 2.1.1: a line over `limit` octets is folded before its last space or tab
 * that keeps the piece within the limit (RFC 5322 section 2.2.3 folding, undone exactly by
 * unfolding); a piece with no white space is broken by inserting CRLF SPACE, as Postfix
 * does when it sends such a line (postconf(5) smtp_line_length_limit), never inside a UTF-8
 * sequence. Lines within the limit are returned as they are.
 */
export function foldLongLines(buf: Buffer, limit = RFC5322_LINE_LIMIT): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  let changed = false;
  while (pos < buf.length) {
    const lf = buf.indexOf(0x0a, pos);
    const next = lf < 0 ? buf.length : lf + 1;
    const end = lf > pos && buf[lf - 1] === 0x0d ? lf - 1 : lf < 0 ? buf.length : lf;
    let start = pos;
    // octets of the current output line before `start`: the space a break inserted
    let lead = 0;
    while (lead + end - start > limit) {
      changed = true;
      const room = limit - lead;
      // a continuation begins with its white space, which is not cut off again
      let cut = -1;
      for (let i = start + room; i > start; i--) {
        if (buf[i] === 0x20 || buf[i] === 0x09) {
          cut = i;
          break;
        }
      }
      if (cut > start) {
        parts.push(buf.subarray(start, cut), CRLF);
        start = cut;
        lead = 0;
        continue;
      }
      // no white space: break with CRLF SPACE (the space counts in the next line)
      let at = start + room;
      while (at > start + 1 && (buf[at]! & 0xc0) === 0x80) at--;
      parts.push(buf.subarray(start, at), CRLF_SPACE);
      start = at;
      lead = 1;
    }
    parts.push(buf.subarray(start, next));
    pos = next;
  }
  return changed ? Buffer.concat(parts) : buf;
}

const CRLF = Buffer.from('\r\n', 'latin1');
const CRLF_SPACE = Buffer.from('\r\n ', 'latin1');

const RECEIVED = Buffer.from('received', 'latin1');

/** A header line that starts the field `Received` (case-insensitive; obsolete WSP before ':' allowed). */
function isReceived(buf: Buffer, pos: number): boolean {
  if (buf.length - pos < 9) return false;
  for (let i = 0; i < 8; i++) {
    const c = buf[pos + i]! | 0x20;
    if (c !== RECEIVED[i]) return false;
  }
  let j = pos + 8;
  while (buf[j] === 0x20 || buf[j] === 0x09) j++;
  return buf[j] === 0x3a;
}

/** What goes into our Received: field. */
export interface ReceivedInfo {
  readonly helo: string;
  readonly clientIp: string;
  readonly hostname: string;
  readonly id: string;
  readonly tls: boolean;
  readonly utf8: boolean;
  /** The recipient, when the message has exactly one (Postfix does the same: no Bcc leak). */
  readonly for?: string;
  readonly date: Date;
}

/**
 * The trace field we prepend (RFC 5321 section 4.4, "with" per RFC 3848 and RFC 6531
 * section 3.7.3). Client-supplied text is reduced to safe characters: it must never be
 * able to start a new header line.
 */
export function receivedHeader(r: ReceivedInfo): Buffer {
  const helo = r.helo.replace(/[^A-Za-z0-9.\-[\]:_]/g, '').slice(0, 255) || 'unknown';
  const ip = r.clientIp.replace(/^::ffff:/, '');
  const literal = ip.includes(':') ? `[IPv6:${ip}]` : `[${ip}]`;
  const proto = `${r.utf8 ? 'UTF8SMTP' : 'ESMTP'}${r.tls ? 'S' : ''}`;
  const forClause = r.for !== undefined && /^[^\s<>\r\n]+$/.test(r.for) ? `\r\n\tfor <${r.for}>` : '';
  const text = `Received: from ${helo} (${literal})\r\n\tby ${r.hostname} (chainmail) with ${proto} id ${r.id}${forClause};\r\n\t${rfc5322Date(r.date)}\r\n`;
  return Buffer.from(text, 'utf8');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 section 3.3 date-time, in UTC. */
export function rfc5322Date(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
