import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findTool, requireTool } from '../../support/tools.js';

/**
 * python3 for the smtplib client. test/support/tools.ts knows a fixed list of tools, so this
 * applies the same rule here: missing -> skip with a printed reason, but FAIL under CI.
 */
export function requirePython(): string | undefined {
  const path = findTool('python3');
  if (path) return path;
  const reason = 'python3 not found in PATH (the smtplib interop tests need it)';
  if (process.env['CI']) throw new Error(`${reason}; CI is set, so tests that need it fail instead of skipping`);
  console.warn(`skipping tests that need ${reason}`);
  return undefined;
}

export function requireSwaks(): string | undefined {
  return requireTool('swaks');
}

/** Sends with swaks; `data` must not end with CRLF (swaks adds CRLF.CRLF after it). */
export function swaks(bin: string, dir: string, port: number, from: string, to: readonly string[], data: Buffer, extra: readonly string[] = []): Promise<{ ok: boolean; out: string }> {
  const file = join(dir, `swaks-${Date.now()}-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, data);
  const args = ['--server', `127.0.0.1:${port}`, '--helo', 'swaks.client.test', '--from', from, '--to', to.join(','), '--data', `@${file}`, '--timeout', '60', ...extra];
  return new Promise((resolve) => {
    execFile(bin, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`;
      resolve({ ok: !err && /<-\s+250 .*queued as/.test(out), out: out.length > 4000 ? `${out.slice(0, 2000)}...${out.slice(-2000)}` : out });
    });
  });
}

/** Sends with Python's smtplib (test/relay/support/send_smtplib.py). */
export function smtplib(
  bin: string,
  port: number,
  from: string,
  to: readonly string[],
  data: Buffer,
  options: readonly string[] = [],
  starttls = false,
): Promise<{ ok: boolean; error?: string; tls?: string | null }> {
  const script = new URL('./send_smtplib.py', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as { ok: boolean; error?: string; tls?: string | null });
      } catch {
        resolve({ ok: false, error: `python said: ${out}${err}` });
      }
    });
    child.stdin.end(JSON.stringify({ port, from, to, data_b64: data.toString('base64'), options, starttls }));
  });
}
