import { defineRule } from '../../rule.js';

/** Reported by the load stage: YAML that does not parse, duplicate keys, alias bombs. */
export const yamlSyntax = defineRule({
  id: 'yaml-syntax',
  defaultSeverity: 'error',
  description: 'YAML that does not parse, duplicate keys, alias bombs',
});
