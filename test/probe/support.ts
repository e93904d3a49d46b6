import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

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
 * `rcpt` gives the reply to each RCPT; anything it does not know gets 502 (and is recorded).
 */
export interface RecordingServer {
  readonly port: number;
  readonly commands: string[];
  /** Connections accepted so far, and the most open at once. */
  readonly connections: { total: number; peak: number };
  close(): Promise<void>;
}

export async function recordingServer(opts: { rcpt: (address: string) => string; mail?: (from: string) => string; pipelining?: boolean; smtputf8?: boolean }): Promise<RecordingServer> {
  const commands: string[] = [];
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
        } else if (verb === 'MAIL') s.write(`${opts.mail?.(/<(.*)>/.exec(line)?.[1] ?? '') ?? '250 2.1.0 Ok'}\r\n`);
        else if (verb === 'RSET') s.write('250 2.0.0 Ok\r\n');
        else if (verb === 'RCPT') s.write(`${opts.rcpt(/<(.*)>/.exec(line)?.[1] ?? '')}\r\n`);
        else if (verb === 'QUIT') {
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
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
