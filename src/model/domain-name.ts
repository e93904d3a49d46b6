/** A domain name as written and as compared (A-label, lower case; UTS #46). @public */
export interface DomainName {
  /** The form the user wrote, for messages. */
  readonly display: string;
  /** Lower-case A-label form (`xn--r8jz45g.jp`); empty when the name is not a valid domain. */
  readonly ascii: string;
  /** Unicode form (`例え.jp`), for reports that show both. */
  readonly unicode: string;
}
