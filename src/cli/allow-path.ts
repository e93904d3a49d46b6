import type { LoadOptions } from '../pipeline.js';
import type { CliIo } from './io.js';

/**
 * `--allow-path DIR` (repeatable), on every command that loads a chainmail file: includes
 * and mailbox files may also be read from DIR, outside the repository. Only the operator
 * widens the boundary, never a file (src/load/containment.ts, SECURITY.md).
 */
export const ALLOW_PATH_OPTION = { 'allow-path': { type: 'string', multiple: true } } as const;

export const ALLOW_PATH_HELP = `  --allow-path DIR       also read includes and mailbox files under DIR, outside the
                         repository (repeatable; docs/cli.md)
`;

/** The load options of a command run: the working directory and the allowed directories. */
export function loadOptions(io: CliIo, values: { readonly 'allow-path'?: readonly string[] | undefined }): LoadOptions {
  const allow = values['allow-path'];
  return { cwd: io.cwd, ...(allow && allow.length > 0 ? { allowPaths: allow } : {}) };
}
