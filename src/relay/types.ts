/**
 * The embedded relay's public types: options of `startRelay()`, the handle it returns and
 * the events it logs (one JSON line each, docs/relay.md "Logs").
 */

/** Options of {@link startRelay}; the CLI maps its flags onto these one to one. @public */
export interface RelayOptions {
  /** The compiled routing table of the system this relay runs (`DIR/<system>/routes.json`). */
  readonly routes: string;
  /** Address to listen on; port 0 picks a free port (see `address()`). */
  readonly listen: { readonly host: string; readonly port: number };
  /** The spool directory: queue segments, Maildir folders, quarantine. Created when missing. */
  readonly spool: string;
  /** Name in the greeting, EHLO and Received: headers (default: os.hostname()). */
  readonly hostname?: string;
  /** Largest message accepted, in bytes (SIZE; enforced during DATA). Default 26,214,400. */
  readonly maxSize?: number;
  /** PEM files; with both, STARTTLS is offered (and only then). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * Milliseconds a new client waits for the greeting; a client that talks before it is
   * refused ("early talker", like Postfix postscreen's pregreet test). Default: 100 on a
   * gateway (internet-facing), 0 for chain peers.
   */
  readonly greetingDelay?: number;
  /** Where events go; default: JSON lines (human-readable on a TTY) on stderr. */
  readonly log?: (event: RelayEvent) => void;
  /** Resource limits against hostile clients (docs/relay.md "Limits"). */
  readonly limits?: Partial<RelayLimits>;
  /** Retry schedule of deferred deliveries. */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * How long a stop (close(), SIGTERM) waits for deliveries in progress to end and be
   * recorded, ms. Default 600,000: the DATA termination timeout of RFC 5321 section
   * 4.5.3.2.6, the longest a next hop may take to answer the end of a message.
   */
  readonly stopTimeout?: number;
}

/** The resource limits of a relay (what a client may use before it is refused). @public */
export interface RelayLimits {
  /** Simultaneous client connections (smtp-server maxClients; more get 421). */
  readonly maxClients: number;
  /** Simultaneous connections from one client address (postconf smtpd_client_connection_count_limit). */
  readonly maxClientsPerAddress: number;
  /** Recipients of one transaction (postconf smtpd_recipient_limit; more get 452 4.5.3). */
  readonly maxRecipients: number;
  /** Refused commands before the session is closed (postconf smtpd_hard_error_limit). */
  readonly maxErrors: number;
  /**
   * Longest message line accepted, in octets without CRLF; longer ones get 550 5.6.0 at
   * the end of DATA. 0 (the default): any length up to `maxSize`, as Postfix's smtpd
   * accepts (postconf(5) line_length_limit), forwarded intact (docs/relay.md "Long lines").
   */
  readonly maxLineLength: number;
  /** Longest command line (RFC 5321 section 4.5.3.1.4 allows 512; we take extensions into account). */
  readonly maxCommandLength: number;
  /** Idle time before a silent client is dropped (RFC 5321 section 4.5.3.2.7: 5 minutes). */
  readonly idleTimeout: number;
  /** Total time one DATA transfer may take before the client is dropped. */
  readonly dataTimeout: number;
  /** Bytes of message data held in memory by all sessions together; beyond it 452 4.3.1. */
  readonly dataMemory: number;
}

/** When deferred deliveries are retried, and when they bounce (Postfix queue parameters). @public */
export interface RetryPolicy {
  /** First retry after a temporary failure, ms (postconf minimal_backoff_time). */
  readonly minBackoff: number;
  /** Longest wait between two attempts, ms (postconf maximal_backoff_time). */
  readonly maxBackoff: number;
  /** How long a message may stay deferred before it bounces, ms (postconf maximal_queue_lifetime). */
  readonly queueLifetime: number;
  /** Connections open at once to one next hop (postconf default_destination_concurrency_limit). */
  readonly connectionsPerHop: number;
  /**
   * Recipients per transaction to a next hop (postconf smtp_destination_recipient_limit);
   * more go in further transactions of the same attempt, as do recipients a next hop
   * refuses with "452 too many recipients" (RFC 5321 section 4.5.3.1.10). Default 1000.
   */
  readonly recipientsPerTransaction: number;
}

/** A running relay. @public */
export interface RelayHandle {
  /** The address it listens on (the real port when started with port 0). */
  address(): { readonly host: string; readonly port: number };
  /** Re-reads routes.json; a broken file is refused (logged) and the old table kept. */
  reload(): { readonly ok: true } | { readonly ok: false; readonly error: string };
  /**
   * Stops: accepts nothing new, lets the transactions and deliveries in progress end and
   * be recorded (bounded by `stopTimeout`), then closes the spool. With `now` (a second
   * SIGTERM) it stops waiting at once; the `close` line then says how many deliveries may
   * be sent again after the next start (`mayRepeat`).
   */
  close(how?: { readonly now?: boolean }): Promise<void>;
  /** Resolves when the queue holds nothing to deliver right now (tests). */
  idle(): Promise<void>;
}

/** One log line. `event` names what happened; the other fields depend on it. @public */
export interface RelayEvent {
  readonly event:
    | 'listen'
    | 'connect'
    | 'refuse'
    | 'accept'
    | 'deliver'
    | 'defer'
    | 'bounce'
    | 'reload'
    | 'recover'
    | 'quarantine'
    | 'spool'
    | 'stop'
    | 'close'
    | 'error';
  readonly [field: string]: unknown;
}
