import { defineRule } from '../../rule.js';

/**
 * Reported by the load stage (src/load/containment.ts): an include or mailbox file whose
 * real path (symbolic links resolved) is outside the repository, or a file with several hard
 * links. The file is not read, so nothing of it reaches a report.
 */
export const pathOutsideRepository = defineRule({
  id: 'path-outside-repository',
  defaultSeverity: 'error',
  description: 'an include or mailbox file outside the repository (symbolic links followed), which is not read',
});
