/**
 * The one-line synopsis of every command, apart from the commands' modules: `chainmail --help`
 * lists them without importing any command (src/cli/commands/index.ts loads a command only
 * when it runs).
 */
export const SYNOPSES = {
  build: 'build FILE --out DIR [--target postfix,exchange,cloud,ldif,csv,routes,dns] [--check] [--report FORMAT:FILE]...',
  deploy: 'deploy postfix DIR [--system NAME] [-c CONFIG_DIR] [--map-dir D] [--map-type hash|lmdb] [--dry-run]',
  'dns-check': 'dns-check FILE --resolver HOST:PORT [--domain D] [--format text|json]   compare published MX, SPF, DMARC with the model',
  graph: 'graph FILE     [--format mermaid|dot]',
  import: 'import postfix DIR|main.cf [--out FILE] | import csvde FILE [--out FILE] | import ldap URL --base DN --system NAME',
  init: 'init (--share DOMAIN --with NAME=HOST ... | --method 2 --remote DOMAIN=HOST ... | --method hybrid|google --domain DOMAIN) [--gateway SPEC] [--out FILE]',
  lint: 'lint FILE...   [--format text|json|sarif|github|gitlab|markdown|junit] [--report FORMAT:FILE]... [--max-warnings N] [--quiet]',
  plan: 'plan FILE (--out DIR | --base FILE|REF[:PATH] [--out DIR]) [--format text|markdown|json] [--detailed-exitcode] [--report FORMAT:FILE]...',
  probe: 'probe FILE     [--system NAME]... [--host NAME=HOST:PORT]... [--resolver HOST:PORT] [--recipients all|sample] [--rate N] [--format F]   compare live systems with the file',
  relay: 'relay --routes FILE --listen HOST:PORT --spool DIR   run the embedded SMTP relay',
  route: 'route (FILE | --routes DIR) ADDRESS... [--from internet|SYSTEM] [--recipients FILE] [--json]',
  schema: 'schema         print the JSON Schema of the file format',
  test: 'test FILE...   [--format text|json]',
} as const;
