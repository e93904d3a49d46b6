import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { RoutingTable } from '../routing/table.js';
import { loadRoutingTable } from '../routing/load-table.js';
import { callbackLog, streamLog, type RelayLog } from './log.js';
import { NextHops } from './next-hop.js';
import { DeliveryQueue } from './queue.js';
import { SessionHandlers } from './session.js';
import { RelayServer } from './smtp-listener.js';
import { Maildirs } from './spool/maildir.js';
import { DEFAULT_SPOOL_TUNING, Spool, type SpoolTuning } from './spool/spool.js';
import type { RelayHandle, RelayLimits, RelayOptions, RetryPolicy } from './types.js';

/** Defaults of the limits (docs/relay.md "Limits"; the Postfix parameter each mirrors in types.ts). */
export const DEFAULT_LIMITS: RelayLimits = {
  maxClients: 500,
  maxClientsPerAddress: 100,
  maxRecipients: 1000,
  maxErrors: 20,
  // 0: no limit but maxSize (RFC 5321 section 4.5.3.1; Postfix smtpd accepts long lines too)
  maxLineLength: 0,
  maxCommandLength: 2048,
  idleTimeout: 300_000,
  dataTimeout: 600_000,
  dataMemory: 256 * 1024 * 1024,
};

export const DEFAULT_RETRY: RetryPolicy = {
  minBackoff: 30_000,
  maxBackoff: 3_600_000,
  queueLifetime: 5 * 24 * 3_600_000,
  connectionsPerHop: 20,
  recipientsPerTransaction: 1000,
};

/** How long a stop waits for deliveries in progress: the DATA termination timeout (RFC 5321 section 4.5.3.2.6, 10 minutes). */
export const DEFAULT_STOP_TIMEOUT = 600_000;

export const DEFAULT_MAX_SIZE = 25 * 1024 * 1024;

/** Internal knobs for tests (segment size, compaction delay). */
export interface RelayInternals {
  readonly spoolTuning?: SpoolTuning;
}

/**
 * Starts the embedded relay for one system: loads its routes.json, recovers the spool,
 * listens, and delivers. Rejects with a one-line message when the table cannot be loaded,
 * the spool is in use or cannot be created, or the address cannot be bound.
 * @public
 */
export function startRelay(options: RelayOptions): Promise<RelayHandle> {
  return startRelayWith(options);
}

/** {@link startRelay} with the internals tests reach into (not part of the public API). */
export async function startRelayWith(options: RelayOptions & RelayInternals): Promise<RelayHandle & { readonly queue: DeliveryQueue; readonly spool: Spool }> {
  const log: RelayLog = options.log ? callbackLog(options.log) : streamLog((t) => process.stderr.write(t), Boolean(process.stderr.isTTY));
  const loaded = loadRoutingTable(options.routes);
  if ('error' in loaded) throw new Error(loaded.error);
  let table: RoutingTable = loaded.table;
  const limits: RelayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const hostname = options.hostname ?? osHostname();
  const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
  const greetingDelay = options.greetingDelay ?? (table.gateway ? 100 : 0);
  let bound = { host: options.listen.host, port: options.listen.port };
  const tls = options.tls ? { key: readPem(options.tls.key), cert: readPem(options.tls.cert) } : undefined;

  const { spool, pending } = await Spool.open(options.spool, log, options.spoolTuning ?? DEFAULT_SPOOL_TUNING);
  const isSelf = (host: string, port: number): boolean => port === bound.port && isLocalAddress(host, bound.host);
  const hops = new NextHops({ hostname, connectionsPerHost: retry.connectionsPerHop, deadTime: Math.min(retry.minBackoff, 30_000), idleTime: 5_000, recipientLimit: retry.recipientsPerTransaction });
  const stopTimeout = options.stopTimeout ?? DEFAULT_STOP_TIMEOUT;
  const maildirs = new Maildirs(join(options.spool, 'mailboxes'), hostname, spool.dirs);
  const queue = new DeliveryQueue({ spool, maildirs, hops, log, hostname, table: () => table, isSelf, retry, concurrency: 200, bodyCache: 64 * 1024 * 1024 });
  let server: RelayServer | undefined;
  const handlers = new SessionHandlers({ table: () => table, spool, queue, log, hostname, limits, maxSize, isSelf, server: () => server });

  server = new RelayServer(
    {
      name: hostname,
      banner: 'chainmail',
      logger: false,
      // there is no DNS to ask, and a PTR is no reason to trust anyone
      disableReverseLookup: true,
      size: maxSize,
      rejectOversized: true,
      hidePIPELINING: false,
      hide8BITMIME: false,
      hideSMTPUTF8: false,
      hideENHANCEDSTATUSCODES: false,
      authOptional: true,
      disabledCommands: ['AUTH', ...(tls ? [] : ['STARTTLS'])],
      ...(tls ? { key: tls.key, cert: tls.cert } : { hideSTARTTLS: true }),
      maxClients: limits.maxClients,
      maxRecipients: limits.maxRecipients,
      maxCommandLength: limits.maxCommandLength,
      socketTimeout: limits.idleTimeout,
      closeTimeout: 10_000,
      onConnect: handlers.onConnect,
      onClose: handlers.onClose,
      onMailFrom: handlers.onMailFrom,
      onRcptTo: handlers.onRcptTo,
      onData: handlers.onData,
    },
    greetingDelay,
    // one command line must arrive whole within the idle timeout (smtpd_per_record_deadline)
    limits.idleTimeout,
  );
  // socket errors of clients that vanish: logged, never fatal
  server.on('error', (e: Error & { code?: string }) => {
    if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') log({ event: 'error', where: 'smtp', error: e.message });
  });

  const srv = server;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(new Error(`cannot listen on ${options.listen.host}:${options.listen.port}: ${e.message}`));
    srv.server.once('error', onError);
    srv.listen(options.listen.port, options.listen.host, () => {
      srv.server.off('error', onError);
      const a = srv.server.address();
      if (a && typeof a === 'object') bound = { host: options.listen.host, port: a.port };
      resolve();
    });
  }).catch(async (e: unknown) => {
    await spool.close();
    throw e;
  });
  log({ event: 'listen', host: bound.host, port: bound.port, system: table.system, hostname, greetingDelay, pending: pending.length });
  for (const entry of pending) queue.enqueue(entry, undefined, true);

  const maintenance = setInterval(() => void spool.collect(), 1000);
  maintenance.unref();

  let closing: Promise<void> | undefined;
  let abortStop: () => void = () => undefined;
  const aborted = new Promise<void>((r) => {
    abortStop = r;
  });
  return {
    queue,
    spool,
    address: () => bound,
    reload() {
      const r = loadRoutingTable(options.routes);
      if ('error' in r) {
        log({ event: 'reload', ok: false, error: r.error });
        return { ok: false, error: r.error };
      }
      // one assignment: a session sees the old table or the new one, never a mix
      table = r.table;
      log({ event: 'reload', ok: true, system: table.system });
      queue.flush();
      return { ok: true };
    },
    idle: () => queue.idle(),
    close(how) {
      if (how?.now) abortStop();
      closing ??= (async () => {
        log({ event: 'stop', deliveries: queue.active, timeout: stopTimeout });
        // idle sessions are told at once; transactions in progress may finish (closeTimeout)
        for (const c of srv.connections) {
          if (!c.session.envelope?.mailFrom) c.send(421, '4.3.2 service shutting down');
        }
        await Promise.race([
          new Promise<void>((r) => srv.close(() => r())),
          aborted.then(() => {
            for (const c of srv.connections) c.close();
          }),
        ]);
        clearInterval(maintenance);
        // deliveries in progress end and are recorded before the spool closes
        const stopped = await queue.close(stopTimeout, aborted);
        await hops.close(stopped.forced);
        // an idle, fully delivered spool is left empty
        if (!stopped.forced) await spool.collect(Date.now() + 2001);
        await spool.close();
        log({
          event: 'close',
          ...(stopped.forced ? { forced: true } : {}),
          ...(stopped.mayRepeat > 0
            ? { mayRepeat: stopped.mayRepeat, note: 'deliveries a next hop may have that the spool does not record: sent again after the next start' }
            : {}),
        });
        log.flush();
      })();
      return closing;
    },
  };
}

/** Whether `host` names this machine as reached through the listening address `listen`. */
function isLocalAddress(host: string, listen: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  const l = listen.toLowerCase();
  if (h === l) return true;
  const loop = (a: string): boolean => a === 'localhost' || a === '::1' || /^127\./.test(a);
  if (l === '0.0.0.0' || l === '::' || l === '') {
    if (loop(h)) return true;
    if (!isIP(h)) return false;
    return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === h));
  }
  // "localhost" reaches a relay listening on the loopback address; other names are not ours
  return h === 'localhost' && loop(l);
}

function readPem(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
