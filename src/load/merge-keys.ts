import { isAlias, isScalar, isSeq, visit, type Document, type Node } from 'yaml';
import type { Finding } from '../diagnostics/diagnostic.js';
import { q } from '../diagnostics/diagnostic.js';
import { isMergePair, mergeSources, resolved } from '../diagnostics/yaml-merge.js';

/**
 * Checks the merge keys of a parsed document before it is turned into a value: a `<<`
 * whose value is not a mapping, an alias of one or a list of them (YAML 1.1 merge type,
 * https://yaml.org/type/merge.html) is a `schema` finding at that value, and the `<<` pair
 * is taken out, so the rest of its mapping is still read (the `yaml` library would throw
 * "Merge sources must be maps" and lose the whole file). Returns the findings.
 *
 * Merge keys are no way around the alias limit: every alias a merge resolves is counted by
 * the library against `maxAliasCount` like any other (test/core/merge-keys.test.ts has a
 * merge-key bomb).
 */
export function checkMergeKeys(doc: Document.Parsed, file: string): Finding[] {
  const findings: Finding[] = [];
  visit(doc, {
    Pair: (_key, pair) => {
      if (!isMergePair(pair)) return undefined;
      const { bad } = mergeSources(doc, pair.value);
      if (bad === undefined) return undefined;
      const r = bad.range ?? (pair.key as Node | null)?.range ?? [0, 1];
      findings.push({
        ruleId: 'schema',
        message: `the merge key "<<" takes a mapping, an alias of one (*name) or a list of them, not ${what(doc, bad)}: merge a mapping or remove the "<<" line`,
        at: { span: { file, start: r[0], end: Math.max(r[1], r[0] + 1) } },
      });
      return visit.REMOVE;
    },
  });
  return findings;
}

function what(doc: Document, node: Node): string {
  const target = resolved(doc, node);
  const name = isAlias(node) ? `*${node.source}, ` : '';
  if (target === undefined) return `${name}an unknown anchor`;
  if (isScalar(target)) return `${name}${target.value === null ? 'null' : `the scalar ${q(String(target.value))}`}`;
  if (isSeq(target)) return `${name}a list of something else than mappings`;
  return `${name}this value`;
}
