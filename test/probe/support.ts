import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { predictRcpt } from '../../src/probe/predict.js';
import type { RoutingTable } from '../../src/routing/table.js';

/** Runs the CLI in-process; returns the exit code and what it printed. */
export async function cli(args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), cwd, env: {}, isTTY: false };
  const code = await main([...args], io);
  return { code, stdout, stderr };
}

/** A temp directory holding `chainmail.yaml`. */
export function yamlDir(yaml: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-probe-'));
  writeFileSync(join(dir, 'chainmail.yaml'), yaml);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A scripted SMTP server on 127.0.0.1:0 that records every command line it receives.
 * `rcpt` gives the reply to each RCPT (with the transaction's sender); anything it does not
 * know gets 502 (and is recorded). With `rcptLimit` N it answers "452 4.5.3 too many
 * recipients" to every RCPT after the N-th of a transaction, as Postfix smtpd_recipient_limit does.
 */
export interface RecordingServer {
  readonly port: number;
  readonly commands: string[];
  /** Connections accepted so far, and the most open at once. */
  readonly connections: { total: number; peak: number };
  /** The RCPTs each transaction took (MAIL to RSET), in order. */
  readonly taken: number[];
  close(): Promise<void>;
}

export async function recordingServer(opts: { rcpt: (address: string, from: string) => string; mail?: (from: string) => string; pipelining?: boolean; smtputf8?: boolean; rcptLimit?: number }): Promise<RecordingServer> {
  const commands: string[] = [];
  const taken: number[] = [];
  const connections = { total: 0, peak: 0 };
  let open = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    connections.total++;
    connections.peak = Math.max(connections.peak, ++open);
    // a connection counts as open until its QUIT: the client waits for the 221 before it opens the next
    let quit = false;
    s.on('close', () => {
      if (!quit) open--;
      sockets.delete(s);
    });
    s.on('error', () => undefined);
    let buf = '';
    // the transaction: its sender once MAIL was accepted, and the RCPTs it took
    let from: string | undefined;
    let count = 0;
    const end = (): void => {
      if (from !== undefined) taken.push(count);
      from = undefined;
      count = 0;
    };
    s.write('220 recorder.test ESMTP\r\n');
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        commands.push(line);
        const verb = line.split(' ')[0]?.toUpperCase() ?? '';
        if (verb === 'EHLO') {
          const ext = [...(opts.pipelining === false ? [] : ['PIPELINING']), ...(opts.smtputf8 ? ['SMTPUTF8'] : []), 'ENHANCEDSTATUSCODES'];
          s.write(`250-recorder.test\r\n${ext.map((e, i) => `250${i === ext.length - 1 ? ' ' : '-'}${e}\r\n`).join('')}`);
        } else if (verb === 'MAIL') {
          const sender = /<(.*)>/.exec(line)?.[1] ?? '';
          const reply = opts.mail?.(sender) ?? '250 2.1.0 Ok';
          if (reply.startsWith('2')) from = sender;
          s.write(`${reply}\r\n`);
        } else if (verb === 'RSET') {
          end();
          s.write('250 2.0.0 Ok\r\n');
        } else if (verb === 'RCPT') {
          if (from === undefined) s.write('503 5.5.1 Error: need MAIL command\r\n');
          else if (opts.rcptLimit !== undefined && count >= opts.rcptLimit) s.write('452 4.5.3 Error: too many recipients\r\n');
          else {
            const reply = opts.rcpt(/<(.*)>/.exec(line)?.[1] ?? '', from);
            if (reply.startsWith('2')) count++;
            s.write(`${reply}\r\n`);
          }
        } else if (verb === 'QUIT') {
          end();
          quit = true;
          open--;
          s.end('221 2.0.0 Bye\r\n');
        }
        else s.write('502 5.5.1 not here\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    commands,
    connections,
    taken,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** The RCPT reply the routing engine predicts for `table`'s system: a server that is exactly as the file says. */
export function asTheFileSays(table: RoutingTable): (address: string) => string {
  return (address) => {
    const p = predictRcpt(table, address);
    return p.reply === 'accept' ? '250 2.1.5 Ok' : `${p.code} ${p.status} ${p.why}`;
  };
}
