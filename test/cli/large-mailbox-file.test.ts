import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type JsonReport, type RunResult } from './support.js';

/** The seed's method 1 with the UNIX server's recipients in a mailbox file. */
const CONFIG = `version: 1
name: example.com shared with a large UNIX server

domains:
  example.local: { description: private default space of the Exchange organisation }
  example.com: { description: shared between Exchange and the UNIX server }

systems:
  exchange:
    kind: exchange
    host: mail.example.com
    gateway: true
    forwardUnresolvedTo: null
    mailboxes:
      - alice@example.com
      - { address: bob@example.com, aliases: [robert@example.com, bob@example.local] }
  unix:
    kind: postfix
    host: "[192.168.1.10]"
    mailboxFiles: [mailboxes.txt]

policies:
  - name: Default Policy
    system: exchange
    default: true
    addresses:
      - { space: "@example.local", primary: true, authoritative: true }
  - name: Shared example.com
    system: exchange
    filter: "(mailnickname=*)"
    addresses:
      - { space: "@example.com", primary: true, authoritative: false }
  - name: UNIX domains
    system: unix
    addresses:
      - { space: "@example.com", primary: true, authoritative: true }

connectors:
  - name: To UNIX
    system: exchange
    addressSpaces: [example.com]
    to: unix
    allowRelay: true

chains:
  - name: example.com shared
    domains: [example.com]
    # the Exchange gateway cannot validate the InternalRelay domain (issue 14)
    # chainmail-disable-next-line backscatter-risk
    order: [exchange, unix]
`;

const MAILBOXES = 100_000;
const address = (n: number): string => `user${String(n).padStart(6, '0')}@example.com`;

/** File line -> the line written there instead of the generated address. */
const DUPLICATES: readonly [line: number, firstLine: number][] = [
  [50_001, 10],
  [75_000, 20_000],
  [MAILBOXES + 1, 2], // the very last line
];
const INVALID_LINE = 33_333;

/**
 * Line 1 is a comment, lines 2..100,001 are the 100,000 mailboxes (user000001 on line 2),
 * with 3 duplicates and 1 invalid address injected; some lines carry comments or blanks
 * around the address, which the loader strips.
 */
function mailboxFile(): string {
  const lines = ['# the UNIX server: 100,000 mailboxes, one per line'];
  for (let n = 1; n <= MAILBOXES; n++) lines.push(address(n));
  const at = (line: number): string => lines[line - 1]!;
  for (const [line, first] of DUPLICATES) lines[line - 1] = at(first);
  lines[INVALID_LINE - 1] = 'user..bad@example.com';
  lines[99] = `  ${at(100)}   # indented, with a comment`;
  lines[199] = `${at(200)}\r`;
  return `${lines.join('\n')}\n`;
}

describe('a mailbox file with 100,000 mailboxes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainmail-large-'));
  let r: RunResult;
  let report: JsonReport;
  // one lint run (about two seconds on the shared two cores) for both tests
  beforeAll(async () => {
    writeFileSync(join(dir, 'chainmail.yaml'), CONFIG);
    writeFileSync(join(dir, 'mailboxes.txt'), mailboxFile());
    r = await run(['lint', '--format', 'json', 'chainmail.yaml'], { cwd: dir });
    report = JSON.parse(r.stdout) as JsonReport;
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lints to exactly the injected findings, at their lines in the mailbox file', () => {
    expect(r.stderr).toBe('');
    const found = report.diagnostics.map((d) => ({
      ruleId: d.ruleId,
      at: `${d.file}:${d.line}:${d.column}`,
      related: (d.related ?? []).map((x) => `${x.file}:${x.line}:${x.column}`),
    }));
    // duplicate-address reports the second occurrence with the first as related;
    // invalid-address reports the bad line (src/analyze/rules/*/ docs)
    const expected = [
      { ruleId: 'invalid-address', at: `mailboxes.txt:${INVALID_LINE}:1`, related: [] },
      ...DUPLICATES.map(([line, first]) => ({ ruleId: 'duplicate-address', at: `mailboxes.txt:${line}:1`, related: [`mailboxes.txt:${first}:1`] })),
    ].sort((a, b) => Number(a.at.split(':')[1]) - Number(b.at.split(':')[1]));
    expect(found).toEqual(expected);
    expect(report.summary).toEqual({ errors: 4, warnings: 0 });
    expect(r.code).toBe(1);
  });

  it('spans cover exactly the address on its line', () => {
    const last = report.diagnostics.at(-1)!;
    expect([last.line, last.column, last.endLine, last.endColumn]).toEqual([MAILBOXES + 1, 1, MAILBOXES + 1, 1 + address(2).length]);
  });
});
