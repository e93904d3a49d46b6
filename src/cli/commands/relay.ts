import { streamLog } from '../../relay/log.js';
import { startRelay } from '../../relay/relay.js';
import type { RelayOptions } from '../../relay/types.js';
import { intOption, parse, type Command } from '../command.js';
import { UsageError } from '../io.js';
import { SYNOPSES } from './synopses.js';

export const relayCommand: Command = {
  synopsis: SYNOPSES.relay,
  help: `usage: chainmail relay --routes FILE --listen HOST:PORT --spool DIR [options]

Runs one system of the organisation as an SMTP server: accepts what its routing table
(DIR/<system>/routes.json from chainmail build) accepts, spools every message durably
before answering 250, delivers local mailboxes into Maildir folders under the spool and
forwards the rest. Logs one JSON line per event on stderr. SIGHUP reloads the table;
SIGTERM stops accepting, waits for the deliveries in progress to end and be recorded
(at most --stop-timeout), then exits 0; a second SIGTERM stops at once. See docs/relay.md.

options:
  --routes FILE          the system's routes.json
  --listen HOST:PORT     address to listen on ([::1]:2525 for IPv6; port 0 picks one)
  --spool DIR            queue, Maildir folders and quarantine (created if missing)
  --hostname NAME        name in the greeting and Received: (default: the host name)
  --max-size BYTES       largest message accepted (default 26214400)
  --tls-cert FILE        PEM certificate; with --tls-key, STARTTLS is offered
  --tls-key FILE         PEM private key
  --greeting-delay MS    wait before the greeting, refusing clients that talk first
                         (default: 100 on a gateway, 0 otherwise)
  --min-backoff MS       first retry after a temporary failure (default 30000)
  --max-backoff MS       longest wait between retries (default 3600000)
  --queue-lifetime MS    bounce what is still undelivered after this long (default 5 days)
  --recipient-limit N    recipients per transaction to a next hop (default 1000)
  --stop-timeout MS      how long SIGTERM waits for deliveries in progress (default
                         600000, the DATA termination timeout of RFC 5321 4.5.3.2.6)
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      routes: { type: 'string' },
      listen: { type: 'string' },
      spool: { type: 'string' },
      hostname: { type: 'string' },
      'max-size': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'greeting-delay': { type: 'string' },
      'min-backoff': { type: 'string' },
      'max-backoff': { type: 'string' },
      'queue-lifetime': { type: 'string' },
      'recipient-limit': { type: 'string' },
      'stop-timeout': { type: 'string' },
    });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (!values.routes) throw new UsageError('--routes FILE is required (a routes.json from chainmail build)');
    if (!values.listen) throw new UsageError('--listen HOST:PORT is required, e.g. --listen 127.0.0.1:2525');
    if (!values.spool) throw new UsageError('--spool DIR is required');
    if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
    const listen = parseListen(values.listen);
    const maxSize = intOption('max-size', values['max-size']);
    const greetingDelay = intOption('greeting-delay', values['greeting-delay']);
    const retry = {
      ...optional('minBackoff', intOption('min-backoff', values['min-backoff'])),
      ...optional('maxBackoff', intOption('max-backoff', values['max-backoff'])),
      ...optional('queueLifetime', intOption('queue-lifetime', values['queue-lifetime'])),
      ...optional('recipientsPerTransaction', intOption('recipient-limit', values['recipient-limit'])),
    };
    const stopTimeout = intOption('stop-timeout', values['stop-timeout']);
    if (retry.recipientsPerTransaction === 0) throw new UsageError('--recipient-limit must be at least 1');
    const log = streamLog((t) => io.stderr(t), io.isTTY);
    const options: RelayOptions = {
      routes: values.routes,
      listen,
      spool: values.spool,
      log,
      retry,
      ...(values.hostname ? { hostname: values.hostname } : {}),
      ...(maxSize !== undefined ? { maxSize } : {}),
      ...(greetingDelay !== undefined ? { greetingDelay } : {}),
      ...(stopTimeout !== undefined ? { stopTimeout } : {}),
      ...(values['tls-cert'] && values['tls-key'] ? { tls: { cert: values['tls-cert'], key: values['tls-key'] } } : {}),
    };
    // the signals are ours from the start: a SIGTERM while the spool is being recovered
    // stops the relay as soon as it runs, instead of killing it half-way
    let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
    let signals = 0;
    let stopped: ((code: number) => void) | undefined;
    const done = new Promise<number>((r) => (stopped = r));
    const hup = (): void => {
      relay?.reload();
    };
    const stop = (): void => {
      signals++;
      if (relay) stopRelay(relay);
    };
    let closing = false;
    const stopRelay = (r: NonNullable<typeof relay>): void => {
      if (!closing) {
        closing = true;
        process.off('SIGHUP', hup);
        r.close().then(
          () => stopped?.(0),
          (e: unknown) => {
            io.stderr(`chainmail relay: ${(e as Error).message}\n`);
            stopped?.(2);
          },
        );
      }
      // a second SIGTERM: stop waiting for deliveries in progress (the close line says how many may repeat)
      if (signals > 1) void r.close({ now: true });
    };
    process.on('SIGHUP', hup);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    const release = (): void => {
      process.off('SIGHUP', hup);
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    };
    try {
      relay = await startRelay(options);
    } catch (e) {
      release();
      log.flush();
      io.stderr(`chainmail relay: ${(e as Error).message}\n`);
      return 2;
    }
    log.flush();
    if (signals > 0) stopRelay(relay);
    // runs until SIGTERM or SIGINT; SIGHUP reloads routes.json (a broken file keeps the old table)
    const code = await done;
    release();
    return code;
  },
};

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** HOST:PORT, [IPV6]:PORT. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen needs HOST:PORT (e.g. 127.0.0.1:2525 or [::1]:2525), not ${JSON.stringify(value)}`);
  return { host: (m[1] ?? m[2])!, port };
}
