import { SMTPServer } from 'smtp-server';

/** A message the sink received. */
export interface Sunk {
  readonly from: string;
  readonly to: readonly string[];
  readonly data: Buffer;
  readonly utf8: boolean;
  readonly body: string | undefined;
}

/** smtp-server options of the test next hops: plain SMTP on loopback, no AUTH, no TLS. */
export const SINK_SERVER = {
  logger: false,
  disableReverseLookup: true,
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  hideSTARTTLS: true,
  hideENHANCEDSTATUSCODES: false,
} as const;

/**
 * A capturing SMTP server for the "external" next hop of tests (outside the organisation).
 * `answer` decides the reply to each RCPT (e.g. 450 to test deferral).
 */
export async function startSink(
  port = 0,
  answer: (rcpt: string) => { code: number; text: string } | undefined = () => undefined,
  /** Milliseconds before the reply to the end of DATA (a slow next hop). */
  delay = 0,
): Promise<{ port: number; messages: Sunk[]; close(): Promise<void> }> {
  const messages: Sunk[] = [];
  const server = new SMTPServer({
    ...SINK_SERVER,
    disabledCommands: [...SINK_SERVER.disabledCommands],
    onRcptTo(address, _session, cb) {
      const a = answer(address.address);
      if (a) return cb(Object.assign(new Error(a.text), { responseCode: a.code }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const args = (session.envelope.mailFrom && session.envelope.mailFrom.args) || {};
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks),
          utf8: Boolean(args['SMTPUTF8']),
          body: typeof args['BODY'] === 'string' ? args['BODY'] : undefined,
        });
        if (delay > 0) setTimeout(() => cb(), delay);
        else cb();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const a = server.server.address();
  return {
    port: typeof a === 'object' && a ? a.port : port,
    messages,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
