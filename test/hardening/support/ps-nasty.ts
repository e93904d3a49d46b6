/**
 * Values that try to leave a PowerShell single-quoted string or comment: quotes (the
 * typographic ones too), expansions, comment ends, line separators (injection-ps1.test.ts,
 * ps-grammar.test.ts).
 */
export const PS_NASTY: string[] = [
  "O'Brien",
  "''",
  '\u2018typographic\u2019',
  'a\u201ab\u201bc',
  "'\u2019",
  '"double" \u201ccurly\u201d \u201elow\u201d',
  '$env:COMPUTERNAME',
  '$(Remove-Item C:\\ -Recurse)',
  '@(1,2)',
  '`n`r`0 `$x',
  "x'; Remove-Item C:\\ -Recurse; '",
  "x\u2019; Stop-Computer; \u2018",
  '#> Write-Host pwned <#',
  '<# block',
  '| Out-Null; Get-Process',
  '& calc.exe',
  '\u2013Name evil',
  '\u2028 line separator',
  '\u0085 next line',
  'C:\\Users\\x',
  '山田 太郎',
];
