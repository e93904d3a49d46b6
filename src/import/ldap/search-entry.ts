import { ProtocolOperation, SearchEntry, type BerReader, type Client, type Entry } from 'ldapts';

/** One directory entry, only the attributes a recipient needs (values as the server sent them). */
export interface DirectoryEntry {
  readonly dn: string;
  readonly addresses: readonly string[];
  readonly target?: string;
  readonly cn?: string;
  readonly mailNickname?: string;
  readonly givenName?: string;
  readonly sn?: string;
  readonly displayName?: string;
}

/** The fields of a DirectoryEntry that come from attributes, by attribute name in lower case. */
export type EntryFields = ReadonlyMap<string, keyof Omit<DirectoryEntry, 'dn'>>;

// BER tags of a SearchResultEntry's parts (RFC 4511 section 4.5.2, universal tags of X.690)
const OCTET_STRING = 0x04;
const SEQUENCE = 0x30;
const SET = 0x31;
const UTF8_BOM = 0xef;

/**
 * Decodes one SearchResultEntry (RFC 4511 section 4.5.2), the bytes from `start` (its
 * objectName) to `end`, straight into a DirectoryEntry: the DN and the values of the
 * attributes in `fields`, as strings; other attributes are skipped unread.
 *
 *     SearchResultEntry ::= [APPLICATION 4] SEQUENCE {
 *          objectName      LDAPDN,
 *          attributes      PartialAttributeList }
 *     PartialAttributeList ::= SEQUENCE OF partialAttribute PartialAttribute
 *     PartialAttribute ::= SEQUENCE { type AttributeDescription, vals SET OF value AttributeValue }
 *
 * Why not ldapts' own SearchEntry: it makes an Attribute object, a Buffer view, a value array
 * and a TextDecoder call per value, then an object per entry that `toObject` copies again;
 * at 100,000 entries that was as much CPU as ldapsearch's whole run (bench/README.md,
 * "Directory import"). The values are the same strings: valid UTF-8 decoded, invalid UTF-8
 * decoded with U+FFFD as `Buffer.toString` does (ldapts gave a Buffer, which the import
 * converted the same way), a leading byte order mark dropped as ldapts' TextDecoder did.
 */
export function decodeEntry(b: Buffer, start: number, end: number, fields: EntryFields): DirectoryEntry {
  const r = new Reader(b, start, end);
  const dn = r.string(r.open(OCTET_STRING, end));
  const e: { -readonly [K in keyof DirectoryEntry]?: DirectoryEntry[K] } = { dn, addresses: [] };
  const attributes = r.open(SEQUENCE, end);
  while (r.pos < attributes) {
    const attribute = r.open(SEQUENCE, attributes);
    const typeEnd = r.open(OCTET_STRING, attribute);
    // attribute descriptions are ASCII and case-insensitive (RFC 4512 sections 1.4 and 2.5)
    const type = b.toString('latin1', r.pos, typeEnd);
    r.pos = typeEnd;
    const field = fields.get(type) ?? fields.get(type.toLowerCase());
    const values = r.open(SET, attribute);
    if (field === 'addresses') {
      const all: string[] = [];
      while (r.pos < values) all.push(r.value(r.open(OCTET_STRING, values)));
      e.addresses = all;
    } else if (field !== undefined && r.pos < values) e[field] = r.value(r.open(OCTET_STRING, values));
    r.pos = attribute;
  }
  return e as DirectoryEntry;
}

/** A cursor over definite-length BER (LDAP uses no other form: RFC 4511 section 5.1). */
class Reader {
  constructor(
    private readonly b: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  /** Reads a tag and a length (X.690 section 8.1.3); leaves pos at the contents and returns their end. */
  open(tag: number, parentEnd: number): number {
    const b = this.b;
    if (this.pos + 2 > parentEnd || b[this.pos] !== tag) throw new Error(`malformed search result entry: expected tag 0x${tag.toString(16)} at byte ${this.pos}`);
    let length = b[this.pos + 1]!;
    this.pos += 2;
    if (length > 0x7f) {
      const bytes = length & 0x7f;
      if (bytes === 0 || bytes > 4 || this.pos + bytes > parentEnd) throw new Error('malformed search result entry: bad length');
      length = 0;
      for (let i = 0; i < bytes; i++) length = length * 256 + b[this.pos++]!;
    }
    const contentEnd = this.pos + length;
    if (contentEnd > parentEnd || contentEnd > this.end) throw new Error('malformed search result entry: a length past its end');
    return contentEnd;
  }

  string(to: number): string {
    const s = this.b.toString('utf8', this.pos, to);
    this.pos = to;
    return s;
  }

  value(to: number): string {
    const b = this.b;
    if (to - this.pos >= 3 && b[this.pos] === UTF8_BOM && b[this.pos + 1] === 0xbb && b[this.pos + 2] === 0xbf) this.pos += 3;
    return this.string(to);
  }
}

/** A search entry decoded by decodeEntry(): ldapts hands it on as its own and asks it for its object. */
class DecodedEntry extends SearchEntry {
  declare entry: DirectoryEntry;

  override toObject(): Entry {
    return this.entry as unknown as Entry;
  }
}

type MessageFactory = (messageId: number, protocolOperation: number, reader: BerReader, details: unknown) => unknown;

/**
 * Makes `client` decode the search entries it receives with decodeEntry(), so that its
 * searches yield DirectoryEntry objects; every other message (the search's result with the
 * paged results cookie, bind and StartTLS responses, errors) it decodes as before. It does
 * so by wrapping the one method of ldapts' message parser that builds a message from its
 * protocol operation (ldapts 8: `MessageParser._getMessageFromProtocolOperation`, called
 * with the reader at the operation's contents and its length). False, and nothing changed,
 * when this ldapts has no such method: the caller then reduces ldapts' own entries.
 */
export function decodeSearchEntries(client: Client, fields: EntryFields): boolean {
  const parser = (client as unknown as { messageParser?: { _getMessageFromProtocolOperation?: MessageFactory } }).messageParser;
  const original = parser?._getMessageFromProtocolOperation;
  if (parser === undefined || typeof original !== 'function') return false;
  parser._getMessageFromProtocolOperation = function (this: unknown, messageId, protocolOperation, reader, details) {
    if (protocolOperation !== ProtocolOperation.LDAP_RES_SEARCH_ENTRY) return original.call(this, messageId, protocolOperation, reader, details);
    const message = new DecodedEntry({ messageId });
    message.entry = decodeEntry(reader.buffer, reader.offset, reader.offset + reader.length, fields);
    return message;
  };
  return true;
}
