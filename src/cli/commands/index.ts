import type { Command } from '../command.js';
import { buildCommand } from './build.js';
import { graphCommand } from './graph.js';
import { importCommand } from './import.js';
import { initCommand } from './init.js';
import { lintCommand } from './lint.js';
import { planCommand } from './plan.js';
import { relayCommand } from './relay.js';
import { routeCommand } from './route.js';
import { schemaCommand } from './schema.js';
import { testCommand } from './test.js';

/** Every command, by name (sorted). */
export const commands = {
  build: buildCommand,
  graph: graphCommand,
  import: importCommand,
  init: initCommand,
  lint: lintCommand,
  plan: planCommand,
  relay: relayCommand,
  route: routeCommand,
  schema: schemaCommand,
  test: testCommand,
} satisfies Record<string, Command>;
