import { q } from '../../../diagnostics/diagnostic.js';
import { checkExpectation, describeOutcome } from '../../../routing/expect.js';
import { routing } from '../../routing-index.js';
import { routeText } from '../../routing-report.js';
import { defineRule } from '../../rule.js';

/**
 * `tests:` are the file's own assertions about where mail goes (spec section 3), run by
 * `chainmail test` and by lint: the same simulator over the same compiled tables as
 * `chainmail route` and the relay, walking until a hop limit stops a loop as the real
 * systems would. A test whose `from` or expected system is no system of the file is
 * unknown-reference's to report.
 */
export const testFailed = defineRule({
  id: 'test-failed',
  defaultSeverity: 'error',
  description: 'a `tests:` expectation that the simulation does not meet',
  check(ctx) {
    const { model } = ctx;
    const { route, tables } = routing(ctx);
    for (const test of model.tests) {
      if (test.from !== 'internet' && !tables.has(test.from)) continue;
      const e = test.expect;
      if ((e.kind === 'delivered' || e.kind === 'bounced' || e.kind === 'refused') && typeof e.target === 'string' && !tables.has(e.target)) continue;
      const result = checkExpectation(test, route(test.to, test.from));
      if (result.passed) continue;
      const want = e.kind === 'looped' ? 'looped' : e.kind === 'external' ? `external to ${q(String(e.target))}` : `${e.kind} by ${q(String(e.target))}`;
      const expected = `${want}${e.status !== undefined ? ` (${e.status})` : ''}`;
      const actual = describeOutcome(result.route);
      const systems = result.route.hops.map((h) => h.system).filter((s, i, a) => s !== a[i - 1]);
      const trail = systems.length > 1 ? ` (route: ${routeText(systems)})` : '';
      const from = test.from !== 'internet' ? ` from ${q(test.from)}` : '';
      ctx.report({
        message: `test ${q(test.to)}${from} fails: expected ${expected}, got ${actual}${trail}`,
        at: { path: [...test.path, 'expect'], key: true },
        data: { to: test.to, from: test.from, expected, actual },
      });
    }
  },
});
