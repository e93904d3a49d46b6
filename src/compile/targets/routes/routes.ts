import type { Model } from '../../../model/model.js';
import type { OutputFile } from '../../output.js';
import { compileRoutingTables } from '../../../routing/compile.js';

/** The `routes` target: `<system>/routes.json` for every system (schemas/routes.schema.json). */
export function compileRoutes(model: Model): OutputFile[] {
  return [...compileRoutingTables(model).values()].map((t) => ({
    path: `${t.system}/routes.json`,
    content: `${JSON.stringify({ $schema: 'https://chainmail.dev/schemas/routes.schema.json', ...t }, null, 2)}\n`,
  }));
}
