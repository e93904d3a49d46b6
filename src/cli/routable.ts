import { domainToASCII, domainToUnicode } from 'node:url';
import type { Model } from '../model/model.js';
import { loadModel, type LoadedModel } from '../pipeline.js';
import { loadOptions } from './allow-path.js';
import type { CliIo } from './io.js';

/*
 * Helpers of the commands that route (route, test, graph, plan): one module they all
 * import, so that no command is a library of another.
 */

/**
 * Loads a file for a command that routes: returns the model, or the exit code after
 * printing why not (2: cannot be read; 1: errors that leave no model, shown briefly).
 */
export function loadRoutable(file: string, io: CliIo, command: string, allowPaths?: readonly string[]): (LoadedModel & { readonly model: Model }) | number {
  const loaded = loadModel(file, loadOptions(io, { 'allow-path': allowPaths }));
  if (loaded.fatal) {
    io.stderr(`chainmail ${command}: ${loaded.fatal}\n`);
    return 2;
  }
  if (!loaded.model) {
    // only load and schema findings exist without a model: locate them, no rule runs
    const shown = loaded.findings.slice(0, 5).map((f) => loaded.locator.locate(f, 'error'));
    for (const d of shown) io.stderr(`${d.file}:${d.line}:${d.column}: error: ${d.message} [${d.ruleId}]\n`);
    if (loaded.findings.length > 5) io.stderr(`... and ${loaded.findings.length - 5} more\n`);
    io.stderr(`chainmail ${command}: ${file} has errors that prevent routing; fix them first (chainmail lint ${file})\n`);
    return 1;
  }
  const n = loaded.findings.length;
  if (n > 0) {
    io.stderr(`chainmail ${command}: note: ${file} has ${n} syntax or schema error${n === 1 ? '' : 's'}; only what they concern is left out (chainmail lint ${file})\n`);
  }
  return loaded as LoadedModel & { readonly model: Model };
}

/** `user@例え.jp (user@xn--r8jz45g.jp)`: both forms when the domain is an IDN. */
export function bothForms(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return address;
  const domain = address.slice(at + 1);
  // most domains are ASCII without an A-label: one pass over the characters, no other form
  // to compute (an A-label has a "-")
  if (plainAscii(domain) || domain.startsWith('[')) return address;
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]|(?:^|\.)xn--/i.test(domain)) return address;
  const local = address.slice(0, at);
  // eslint-disable-next-line no-control-regex
  const other = /[^\x00-\x7f]/.test(domain) ? domainToASCII(domain) : /(^|\.)xn--/i.test(domain) ? domainToUnicode(domain) : '';
  return other && other.toLowerCase() !== domain.toLowerCase() ? `${address} (${local}@${other})` : address;
}

/** ASCII without a "-": neither a U-label nor an A-label in it. */
function plainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || c === 0x2d) return false;
  }
  return true;
}
