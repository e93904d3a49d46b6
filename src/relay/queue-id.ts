import { randomBytes } from 'node:crypto';

const tag = randomBytes(4).readUInt32BE(0).toString(36).toUpperCase().padStart(7, '0').slice(-4);
let counter = 0;

/**
 * A queue id: time (ms, base 36), a per-process counter and a per-process random tag,
 * so ids are unique across restarts and never reused (Postfix enable_long_queue_ids does
 * the same for the same reason: an id in a log line names one message for ever). Only
 * letters and digits, so it is safe in file names, headers and log lines.
 */
export function queueId(now = Date.now()): string {
  counter = (counter + 1) % 36 ** 4;
  return `${now.toString(36).toUpperCase()}${counter.toString(36).toUpperCase().padStart(4, '0')}${tag}`;
}

/**
 * Whether `id` has the shape {@link queueId} gives (letters and digits only). An id read
 * back from the spool is input like any other: it becomes part of a Maildir file name
 * and of log lines, so one that could name another directory (`../../x`) is refused
 * where the spool is read (recover.ts quarantines the record) and again where a file
 * name is made (maildir.ts).
 */
export function isQueueId(id: unknown): id is string {
  return typeof id === 'string' && /^[0-9A-Za-z]{1,64}$/.test(id);
}
