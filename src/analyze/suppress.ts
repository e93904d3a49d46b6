import type { SourceStore } from '../diagnostics/source-store.js';

const DIRECTIVE = /#\s*chainmail-disable-next-line(?:[ \t]+([a-z0-9, \t-]+?))?\s*$/;

/**
 * Reads `# chainmail-disable-next-line [rule-id[, rule-id]]` comments. Returns, per file,
 * the 1-based lines they apply to and the rule ids (an empty set means every rule).
 */
export function suppressions(sources: SourceStore): Map<string, Map<number, Set<string>>> {
  const out = new Map<string, Map<number, Set<string>>>();
  for (const file of sources.files()) {
    const text = sources.get(file)?.text ?? '';
    if (!text.includes('chainmail-disable-next-line')) continue;
    const lines = text.split('\n');
    const perFile = new Map<number, Set<string>>();
    lines.forEach((line, i) => {
      const m = DIRECTIVE.exec(line);
      if (!m || !line.trimStart().startsWith('#')) return;
      const ids = (m[1] ?? '').split(/[\s,]+/).filter(Boolean);
      // the next line that is not blank or another comment
      let target = i + 1;
      while (target < lines.length && /^\s*(#.*)?$/.test(lines[target] ?? '') && !DIRECTIVE.test(lines[target] ?? '')) target++;
      const set = perFile.get(target + 1) ?? new Set<string>();
      if (ids.length === 0) set.add('*');
      for (const id of ids) set.add(id);
      perFile.set(target + 1, set);
    });
    out.set(file, perFile);
  }
  return out;
}
