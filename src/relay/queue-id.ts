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
