import { LineCounter, type Document } from 'yaml';

/**
 * One source file as chainmail read it: its text, line index and, for YAML, the document.
 *
 * @public
 */
export interface Source {
  readonly file: string;
  readonly text: string;
  readonly lines: LineCounter;
  readonly doc?: Document.Parsed;
}

/**
 * Every file read in one run, by display path, for locating findings and code frames.
 *
 * @public
 */
export class SourceStore {
  readonly #files = new Map<string, Source>();

  add(source: Source): void {
    this.#files.set(source.file, source);
  }

  get(file: string): Source | undefined {
    return this.#files.get(file);
  }

  files(): string[] {
    return [...this.#files.keys()];
  }

  /** 1-based line and column of an offset. */
  position(file: string, offset: number): { line: number; column: number } {
    const src = this.#files.get(file);
    if (!src) return { line: 1, column: 1 };
    const { line, col } = src.lines.linePos(Math.max(0, Math.min(offset, src.text.length)));
    return { line, column: col };
  }
}

/** Builds a line index for text that did not go through the YAML parser (mailbox files). */
export function lineCounterFor(text: string): LineCounter {
  const lc = new LineCounter();
  lc.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lc.addNewLine(i + 1);
  return lc;
}
