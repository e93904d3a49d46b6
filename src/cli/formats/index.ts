import type { Formatter } from './format.js';
import { json } from './json.js';
import { text } from './text.js';

/** Every output format of lint and test, by id (sorted). */
export const formats = {
  json,
  text,
} satisfies Record<string, Formatter>;

export type FormatId = keyof typeof formats;

export function isFormatId(s: string): s is FormatId {
  return Object.hasOwn(formats, s);
}
