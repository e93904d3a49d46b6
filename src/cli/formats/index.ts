import type { Formatter } from './format.js';
import { github } from './github.js';
import { gitlab } from './gitlab.js';
import { json } from './json.js';
import { junit } from './junit.js';
import { markdown } from './markdown.js';
import { sarif } from './sarif.js';
import { text } from './text.js';

/** Every output format of lint and test, by id (sorted). */
export const formats = {
  github,
  gitlab,
  json,
  junit,
  markdown,
  sarif,
  text,
} satisfies Record<string, Formatter>;

export type FormatId = keyof typeof formats;

export function isFormatId(s: string): s is FormatId {
  return Object.hasOwn(formats, s);
}
