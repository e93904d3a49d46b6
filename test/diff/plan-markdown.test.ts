import { describe, expect, it } from 'vitest';
import { MARKDOWN_MAX_ROWS, MARKDOWN_OPEN_ROWS, routeDiffMarkdown, routeDiffText } from '../../src/cli/commands/plan-routes.js';
import type { RouteChange, RouteDiff } from '../../src/route/route-diff.js';

const change = (recipient: string, over: Partial<RouteChange> = {}): RouteChange => ({
  kind: 'delivery-moved',
  recipient,
  synthetic: false,
  from: ['internet'],
  before: { outcome: { kind: 'delivered', system: 'unix', mailbox: recipient }, path: ['gw', 'unix'], nextHops: ['[10.0.0.1]:25'] },
  after: { outcome: { kind: 'delivered', system: 'exchange', mailbox: recipient }, path: ['gw', 'exchange'], nextHops: ['[10.0.0.2]:25'] },
  ...over,
});
const diff = (changes: RouteChange[]): RouteDiff => ({
  changes,
  probed: { addresses: changes.length + 1, from: ['internet'], routes: changes.length + 1 },
  recipients: { added: 0, removed: 0 },
  systems: { added: [], removed: [] },
});

describe('plan --base as Markdown', () => {
  it(`shows up to ${MARKDOWN_OPEN_ROWS} rows of a kind openly, more inside <details>`, () => {
    const open = routeDiffMarkdown(diff(Array.from({ length: MARKDOWN_OPEN_ROWS }, (_, i) => change(`u${i}@example.com`))), 'HEAD');
    expect(open).toContain('**delivered elsewhere (10 addresses)**\n\n| address | from | before | after |');
    expect(open).not.toContain('<details>');
    const closed = routeDiffMarkdown(diff(Array.from({ length: MARKDOWN_OPEN_ROWS + 1 }, (_, i) => change(`u${i}@example.com`))), 'HEAD');
    expect(closed).toContain('<details><summary>delivered elsewhere (11 addresses)</summary>\n\n| address |');
    expect(closed).toMatch(/\n\n<\/details>\n/);
  });

  it(`fits a pull request comment: at most ${MARKDOWN_MAX_ROWS} rows in all, and says how many are not shown`, () => {
    const many = [
      ...Array.from({ length: 30 }, (_, i) => change(`loop${i}@example.com`, { kind: 'loop-added', after: { outcome: { kind: 'looped', system: 'gw', status: '5.4.6', code: 554 }, path: ['gw', 'unix'], nextHops: [], cycle: ['gw', 'unix', 'gw'] } })),
      ...Array.from({ length: 100_000 }, (_, i) => change(`u${String(i).padStart(6, '0')}@example.com`)),
    ];
    const md = routeDiffMarkdown(diff(many), 'origin/main:mail.yaml');
    expect(md.length).toBeLessThan(40_000);
    expect(md.match(/^\| `/gm)).toHaveLength(MARKDOWN_MAX_ROWS);
    expect(md).toContain('| delivered elsewhere | 100000 |');
    expect(md).toContain('_99,930 more entries not shown: `chainmail plan --format text` or `--format json` lists them all._');
    // text lists everything
    expect(routeDiffText(diff(many), 'x', false).match(/^ {2}u\d+@example\.com$/gm)).toHaveLength(100_000);
  });

  it('never lets a value open an HTML tag or break the table', () => {
    const md = routeDiffMarkdown(diff([change('a|b@example.com', { after: { outcome: { kind: 'external', host: '<script>x</script>|`' }, path: ['gw', '<script>x</script>|`'], nextHops: [] } })]), 'feature/<b>x</b>');
    expect(md).not.toContain('<script>');
    // the base label is inside a code span, where CommonMark shows "<b>" as text
    expect(md).toContain('Against `feature/<b>x</b>`:');
    expect(md).toContain('| `a\\|b@example.com` | internet |');
    expect(md).toContain('| gw => leaves for &lt;script>x&lt;/script>\\|` |');
    expect(md).not.toMatch(/\u001b/);
  });
});
