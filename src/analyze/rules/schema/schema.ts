import { defineRule } from '../../rule.js';

/** Reported by the validate stage: a value that does not fit the JSON Schema. */
export const schema = defineRule({
  id: 'schema',
  defaultSeverity: 'error',
  description: 'a value that does not fit the JSON Schema',
});
