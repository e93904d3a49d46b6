import type { RouteTestDecl } from '../model/model.js';
import type { Route } from './walk.js';

/**
 * The result of one `tests:` expectation.
 *
 * @public
 */
export interface TestResult {
  readonly test: RouteTestDecl;
  readonly route: Route;
  readonly passed: boolean;
  /** What was expected and what happened, e.g. `expected delivered by "unix", got bounced by "unix" (5.1.1)`. */
  readonly message: string;
}

/** Describes an outcome in words: `delivered by "unix"`, `external to "[10.1.1.1]:25"`. */
export function describeOutcome(route: Route): string {
  const o = route.outcome;
  if (o.kind === 'external') return `external to ${JSON.stringify(o.host ?? '')}`;
  if (o.kind === 'looped') return `looped at ${JSON.stringify(o.system ?? '')}${o.status ? ` (${o.status})` : ''}`;
  const verb = o.kind === 'delivered' ? 'delivered by' : `${o.kind} by`;
  return `${verb} ${JSON.stringify(o.system ?? '')}${o.status ? ` (${o.status})` : ''}`;
}

/** Host strings compare without a default :25 and case-insensitively: "[10.1.1.1]" = "[10.1.1.1]:25". */
function sameHost(a: string, b: string): boolean {
  const norm = (s: string): string => s.toLowerCase().replace(/:25$/, '').replace(/:25(,|$)/g, '$1');
  return norm(a) === norm(b);
}

/**
 * Checks a route against a test's expectation (kind, system or host, optional status).
 *
 * @public
 */
export function checkExpectation(test: RouteTestDecl, route: Route): TestResult {
  const e = test.expect;
  const o = route.outcome;
  let passed = o.kind === e.kind;
  if (passed) {
    if (e.kind === 'external') passed = typeof e.target === 'string' && sameHost(o.host ?? '', e.target);
    else if (e.kind !== 'looped') passed = o.system === e.target;
  }
  if (passed && e.status !== undefined) passed = o.status === e.status;
  const want =
    e.kind === 'looped'
      ? 'looped'
      : e.kind === 'external'
        ? `external to ${JSON.stringify(e.target)}`
        : `${e.kind} by ${JSON.stringify(e.target)}`;
  const message = passed
    ? `${test.to}: ${describeOutcome(route)}`
    : `${test.to}${test.from !== 'internet' ? ` from ${JSON.stringify(test.from)}` : ''}: expected ${want}${e.status ? ` (${e.status})` : ''}, got ${describeOutcome(route)}`;
  return { test, route, passed, message };
}
