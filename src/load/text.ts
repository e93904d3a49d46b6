import type { Finding } from '../diagnostics/diagnostic.js';
import { lineCounterFor, type SourceStore } from '../diagnostics/source-store.js';

/** Decodes a file's bytes as UTF-8 text; invalid UTF-8 and NUL bytes become yaml-syntax findings. */
export function decodeText(buf: Buffer, shown: string, findings: Finding[], sources: SourceStore): string | undefined {
  const bad = firstInvalidUtf8(buf);
  if (bad !== -1) {
    // keep a lossy copy so the finding has a line, a column and a code frame
    const lossy = buf.toString('utf8');
    const at = buf.subarray(0, bad).toString('utf8').length;
    sources.add({ file: shown, text: lossy, lines: lineCounterFor(lossy) });
    findings.push({
      ruleId: 'yaml-syntax',
      message: `invalid UTF-8 at byte ${bad}: save the file as UTF-8`,
      at: { span: { file: shown, start: at, end: at + 1 } },
    });
    return undefined;
  }
  const text = buf.toString('utf8').replace(/^\uFEFF/, '');
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    sources.add({ file: shown, text, lines: lineCounterFor(text) });
    findings.push({
      ruleId: 'yaml-syntax',
      message: 'file contains NUL bytes (a binary file?): a chainmail file is UTF-8 YAML text',
      at: { span: { file: shown, start: nul, end: nul + 1 } },
    });
    return undefined;
  }
  return text;
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1. */
function firstInvalidUtf8(buf: Buffer): number {
  for (let i = 0; i < buf.length; ) {
    const b = buf[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    const n = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n === -1 || i + n >= buf.length) return i;
    for (let k = 1; k <= n; k++) if (((buf[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    const b1 = buf[i + 1] ?? 0;
    // overlong and surrogate forms (RFC 3629 section 4)
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 > 0x9f) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 > 0x8f)) return i;
    i += n + 1;
  }
  return -1;
}
