import type { RelayEvent } from './types.js';

/** A sink of relay events that can be flushed before the process exits. */
export interface RelayLog {
  (event: RelayEvent): void;
  flush(): void;
}

/**
 * Writes one JSON line per event to a stream (stderr), or a readable line on a TTY.
 * Lines are collected and written once per event-loop turn: at thousands of messages per
 * second one write per line would cost a system call each (stderr is synchronous for pipes
 * and files on Linux).
 */
export function streamLog(write: (text: string) => void, tty: boolean): RelayLog {
  let lines: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (lines.length === 0) return;
    const text = lines.join('');
    lines = [];
    write(text);
  };
  const log = ((event: RelayEvent): void => {
    const ts = new Date().toISOString();
    lines.push(tty ? humanLine(ts, event) : `${JSON.stringify({ ts, ...event })}\n`);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }) as RelayLog;
  log.flush = flush;
  return log;
}

/** Wraps a caller's function as a RelayLog (a RelayLog is used as it is). */
export function callbackLog(fn: ((event: RelayEvent) => void) | RelayLog): RelayLog {
  if (typeof (fn as Partial<RelayLog>).flush === 'function') return fn as RelayLog;
  const log = ((event: RelayEvent): void => {
    try {
      fn(event);
    } catch {
      // a broken log callback must not take the relay down
    }
  }) as RelayLog;
  log.flush = () => undefined;
  return log;
}

function humanLine(ts: string, e: RelayEvent): string {
  const { event, ...rest } = e;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"]/.test(v) && v !== '' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${ts} ${event.padEnd(10)} ${fields}\n`;
}
