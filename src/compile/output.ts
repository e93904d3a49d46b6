/** One artifact file a compile target produces. Targets are pure: no file system access. @public */
export interface OutputFile {
  /** Relative path with forward slashes, e.g. `contacts/contacts.ldif`, `unix/postfix/transport`. */
  readonly path: string;
  /** Text (written as UTF-8) or bytes (e.g. a UTF-16LE csvde file). */
  readonly content: string | Uint8Array;
}
