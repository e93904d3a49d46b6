import { describeRuleFixtures } from '../../../../test/support/rule-fixtures.js';

// the attacks themselves (symlinks, races, devices, every output format) are in
// test/hardening/containment-*.test.ts
describeRuleFixtures('path-outside-repository', new URL('.', import.meta.url).pathname);
