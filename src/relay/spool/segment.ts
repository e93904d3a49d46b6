import type { FileHandle } from 'node:fs/promises';
import type { MessageMeta } from './record.js';

/** One message of the spool: where its latest copy lies and which recipients are done. */
export interface SpoolEntry {
  meta: MessageMeta;
  seg: Segment;
  bodyOffset: number;
  bodyLength: number;
  readonly done: Set<number>;
}

/** One segment file of the queue (`queue/<12 hex digits>.seg`). */
export interface Segment {
  readonly seq: number;
  readonly path: string;
  /** Messages whose latest copy is in this segment and that are not complete. */
  readonly live: Set<string>;
  size: number;
  fh?: FileHandle | undefined;
  closedAt?: number | undefined;
}

