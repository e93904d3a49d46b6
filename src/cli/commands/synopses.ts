/**
 * The one-line synopsis of every command, apart from the commands' modules: `chainmail --help`
 * lists them without importing any command (src/cli/commands/index.ts loads a command only
 * when it runs).
 */
export const SYNOPSES = {
  build: 'build FILE --out DIR [--target postfix,exchange,ldif,csv,routes] [--check]',
  graph: 'graph FILE     [--format mermaid|dot]',
  import: 'import postfix DIR|main.cf [--out FILE] | import csvde FILE [--out FILE] | import ldap URL --base DN --system NAME',
  init: 'init           write a commented starter file (--share D --with NAME=HOST, or --method 2 --remote D=HOST)',
  lint: 'lint FILE...   [--format text|json|sarif|github|gitlab|markdown|junit] [--max-warnings N] [--quiet]',
  plan: 'plan FILE [--out DIR] [--base FILE|REF[:PATH]] [--format text|markdown|json] [--detailed-exitcode]',
  relay: 'relay --routes FILE --listen HOST:PORT --spool DIR   run the embedded SMTP relay',
  route: 'route FILE ADDRESS... [--from internet|SYSTEM] [--recipients FILE] [--json]',
  schema: 'schema         print the JSON Schema of the file format',
  test: 'test FILE...   [--format text|json]',
} as const;
