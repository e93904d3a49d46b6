import type { Finding, Target } from '../diagnostics/diagnostic.js';
import { q } from '../diagnostics/diagnostic.js';
import type { Refusal } from './containment.js';

/** What named a file: the fatal message's prefix, the finding's subject and its place. */
export interface Named {
  readonly fatal: string;
  readonly subject: string;
  readonly at: Target;
  /** The main file: named by the operator, so most refusals are one-line errors, not findings. */
  readonly main?: boolean;
}

/**
 * The finding for a file the boundary refused, or the one-line fatal message (a missing or
 * unreadable file, as before containment). Never quotes the file's content.
 */
export function refusalFinding(r: Refusal, named: Named, root: string): Finding | string {
  const { subject, at } = named;
  const main = named.main === true;
  switch (r.kind) {
    case 'missing':
      return `${named.fatal}: no such file; check the path`;
    case 'unreadable':
      return `${named.fatal}: cannot read (${r.code}); check the path and permissions`;
    case 'not-regular':
      if (main) return `${named.fatal}: ${r.what === 'a directory' ? 'is a directory, not a file; name the YAML file' : `is ${r.what}, not a regular file; name the YAML file`}`;
      return { ruleId: 'yaml-syntax', message: `${subject} is ${r.what}, not a regular file: name a file`, at };
    case 'outside':
      if (main) return `${named.fatal}: is outside the repository ${root} (a symbolic link leads there); name a file inside it or allow its directory with --allow-path`;
      return { ruleId: 'path-outside-repository', message: `${subject} is outside the repository (a symbolic link counts where it leads): move the file into the repository, or allow its directory with --allow-path`, at };
    case 'hard-link':
      if (main) return `${named.fatal}: has ${r.links} hard links, so it may also be a file outside the repository; replace it with a copy`;
      return { ruleId: 'path-outside-repository', message: `${subject} has ${r.links} hard links, so it may also be a file outside the repository: replace it with a copy`, at };
    case 'too-large':
      return {
        ruleId: 'yaml-syntax',
        message: `${main ? 'file' : subject} is ${r.size !== undefined ? `${r.size} bytes, ` : ''}over the limit of ${r.limit}${r.size === undefined ? ' bytes' : ''}: ${main || subject.startsWith('include') ? 'split it with include:' : 'split it into several mailbox files'}`,
        at,
      };
    case 'budget':
      return { ruleId: 'yaml-syntax', message: `${main ? 'file' : subject} would take the bytes read in one run over ${r.limit}: lint parts of the organisation separately`, at };
    case 'duplicate':
      return { ruleId: 'schema', message: `${subject} names a file already read (${q(r.first)}): name each file once`, at };
  }
}
