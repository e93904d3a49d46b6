import type { Command } from '../command.js';
import { lintCommand } from './lint.js';
import { schemaCommand } from './schema.js';

/** Every command, by name (sorted). */
export const commands = {
  lint: lintCommand,
  schema: schemaCommand,
} satisfies Record<string, Command>;
