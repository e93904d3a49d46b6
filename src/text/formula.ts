/**
 * The spreadsheet-formula check, shared by the csvde target (src/compile/targets/csv/) and
 * the spreadsheet-formula lint rule.
 */

/**
 * The character that makes a spreadsheet read a cell as a formula (`=`, `+`, `-`, `@`;
 * OWASP "CSV injection"), or undefined. The seed recommends editing the csvde file in
 * Excel, where such a value would be evaluated or mangled; a lint rule warns about it.
 * The CSV itself keeps the value as is: prefixing it would change what csvde imports.
 */
export function formulaPrefix(value: string): '=' | '+' | '-' | '@' | undefined {
  const c = value.charAt(0);
  return c === '=' || c === '+' || c === '-' || c === '@' ? c : undefined;
}
