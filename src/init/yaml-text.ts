// YAML 1.1 and 1.2 words that a plain scalar would turn into a boolean or null
// (yaml's core and yaml-1.1 schemas): quote them to keep them strings.
const KEYWORDS = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n', '~']);

// Letters first, then letters, digits, spaces and . _ @ -, not ending in a space: safe as a
// plain scalar in block and flow context (no ": ", " #", comma, bracket or leading indicator).
const PLAIN = /^[A-Za-z](?:[A-Za-z0-9._@ -]*[A-Za-z0-9._-])?$/;

/**
 * A string as a YAML scalar: plain when that is unambiguous, else double-quoted. A JSON
 * string is a valid YAML double-quoted scalar (YAML 1.2 section 7.3.1), Unicode kept as is.
 */
export function scalar(s: string): string {
  // every keyword has at most 5 characters: no lower-cased copy of longer strings (100,000 addresses in a snapshot)
  return PLAIN.test(s) && (s.length > 5 || !KEYWORDS.has(s.toLowerCase())) ? s : JSON.stringify(s);
}
