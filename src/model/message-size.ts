import type { SystemDecl, SystemKind } from './model.js';

/**
 * The largest message a kind accepts when the file gives no `maxMessageSize` and chainmail's
 * artifacts set none: Postfix's message_size_limit default (postconf(5): 10240000), which
 * main.cf then leaves alone. Exchange's depends on its version and several settings
 * (transport config, connectors, mailbox), the relay's on its `--max-size` option, and
 * "other" is unknown: no default.
 */
export const DEFAULT_MESSAGE_SIZE: Readonly<Partial<Record<SystemKind, number>>> = {
  postfix: 10_240_000,
};

/** A system's message size limit in bytes, and whether the file wrote it; undefined when unknown. */
export function messageSizeLimit(s: SystemDecl): { bytes: number; written: boolean } | undefined {
  if (s.maxMessageSize !== undefined) return { bytes: s.maxMessageSize, written: true };
  const d = DEFAULT_MESSAGE_SIZE[s.kind];
  return d === undefined ? undefined : { bytes: d, written: false };
}
