import type { Command } from '../command.js';
import { graphCommand } from './graph.js';
import { lintCommand } from './lint.js';
import { routeCommand } from './route.js';
import { schemaCommand } from './schema.js';
import { testCommand } from './test.js';

/** Every command, by name (sorted). */
export const commands = {
  graph: graphCommand,
  lint: lintCommand,
  route: routeCommand,
  schema: schemaCommand,
  test: testCommand,
} satisfies Record<string, Command>;
