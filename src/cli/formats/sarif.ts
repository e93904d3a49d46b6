import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rules } from '../../analyze/registry.js';
import { docUrl } from '../../analyze/rule.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Formatter } from './format.js';

/** The project home (the same repository the rule docs of {@link docUrl} live in). */
export const INFORMATION_URI = 'https://github.com/chainmail-dev/chainmail';

const SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/**
 * `--format sarif`: one SARIF 2.1.0 log with one run (OASIS SARIF v2.1.0, sections 3.13
 * sarifLog, 3.14 run, 3.19 toolComponent, 3.27 result). Every registered rule is a
 * reportingDescriptor (3.49) so viewers can link `ruleIndex` to its doc page (the probe's
 * classes instead, when `chainmail probe` reports).
 */
export const sarif: Formatter = (entries, ctx) => {
  const descriptors = ctx.rules ?? rules.map((r) => ({ id: r.id, description: r.description, defaultSeverity: r.defaultSeverity, helpUri: docUrl(r.id) }));
  const index = new Map(descriptors.map((r, i) => [r.id, i]));
  const diagnostics = entries.flatMap((e) => e.result.diagnostics);
  const seen = new Map<string, number>();
  const results = diagnostics.map((d) => {
    const ruleIndex = index.get(d.ruleId);
    const key = fingerprint(d);
    // identical (rule, file, message) findings are told apart by order, which line shifts keep
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return {
      ruleId: d.ruleId,
      ...(ruleIndex !== undefined ? { ruleIndex } : {}),
      level: d.severity,
      message: { text: d.message },
      locations: [location(d.file, d)],
      ...(d.related.length
        ? { relatedLocations: d.related.map((r, id) => ({ id, ...location(r.file, r), message: { text: r.message } })) }
        : {}),
      partialFingerprints: { 'chainmailFindingHash/v1': `${key}:${n + 1}` },
      // chainmail's fix is YAML to add or change, not an exact text replacement, so it cannot
      // be a SARIF `fixes` entry (3.55 needs deleted regions); it travels in the property bag
      ...(d.fix ? { properties: { fix: { description: d.fix.description, yaml: d.fix.yaml } } } : {}),
    };
  });
  const log = {
    $schema: SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'chainmail',
            version: ctx.toolVersion,
            semanticVersion: ctx.toolVersion,
            informationUri: INFORMATION_URI,
            rules: descriptors.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: r.description },
              helpUri: r.helpUri,
              defaultConfiguration: { level: r.defaultSeverity },
            })),
          },
        },
        // positions are computed on JavaScript strings (yaml's LineCounter over UTF-16 offsets)
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
};

interface Region {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

function location(file: string, r: Region): { physicalLocation: object } {
  return {
    physicalLocation: {
      artifactLocation: { uri: fileUri(file) },
      // SARIF regions are 1-based with an exclusive endColumn (3.30.2), as chainmail's are
      region: { startLine: r.line, startColumn: r.column, endLine: r.endLine, endColumn: r.endColumn },
    },
  };
}

/**
 * A file as a URI reference: relative paths (the usual case: files under the working
 * directory) keep relative with forward slashes and percent-encoding; absolute paths become
 * file: URIs.
 */
export function fileUri(file: string): string {
  if (isAbsolute(file) || /^[A-Za-z]:[\\/]/.test(file)) return pathToFileURL(file).href;
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}

/** A hash of what identifies a finding regardless of where its lines moved. */
function fingerprint(d: Diagnostic): string {
  return createHash('sha256').update(`${d.ruleId}\u0000${fileUri(d.file)}\u0000${d.message}`).digest('hex').slice(0, 32);
}
