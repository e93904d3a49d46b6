import type { SystemDecl, SystemKind } from './model.js';

/**
 * The largest message each kind accepts when the file gives no `maxMessageSize`: Postfix's
 * message_size_limit default (postconf(5): 10240000) and the embedded relay's `--max-size`
 * default (25 MiB, docs/relay.md). Exchange's depends on its version and several settings
 * (transport config, connectors, mailbox), and "other" is unknown: no default.
 */
export const DEFAULT_MESSAGE_SIZE: Readonly<Partial<Record<SystemKind, number>>> = {
  postfix: 10_240_000,
  relay: 26_214_400,
};

/** A system's message size limit in bytes, and whether the file wrote it; undefined when unknown. */
export function messageSizeLimit(s: SystemDecl): { bytes: number; written: boolean } | undefined {
  if (s.maxMessageSize !== undefined) return { bytes: s.maxMessageSize, written: true };
  const d = DEFAULT_MESSAGE_SIZE[s.kind];
  return d === undefined ? undefined : { bytes: d, written: false };
}
