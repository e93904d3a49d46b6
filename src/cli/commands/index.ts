import type { Command } from '../command.js';
import { SYNOPSES } from './synopses.js';

/**
 * A command as `chainmail --help` lists it: its synopsis, and a thunk that imports its module.
 * Commands are imported only when they run: importing all of them cost ~0.2 s per run
 * (the relay's smtp-server and nodemailer alone ~0.08 s), paid by every `lint` in CI.
 */
export interface CommandEntry {
  readonly synopsis: string;
  load(): Promise<Command>;
}

/** Every command, by name (sorted). */
export const commands = {
  build: { synopsis: SYNOPSES.build, load: async () => (await import('./build.js')).buildCommand },
  deploy: { synopsis: SYNOPSES.deploy, load: async () => (await import('./deploy.js')).deployCommand },
  'dns-check': { synopsis: SYNOPSES['dns-check'], load: async () => (await import('./dns-check.js')).dnsCheckCommand },
  graph: { synopsis: SYNOPSES.graph, load: async () => (await import('./graph.js')).graphCommand },
  import: { synopsis: SYNOPSES.import, load: async () => (await import('./import.js')).importCommand },
  init: { synopsis: SYNOPSES.init, load: async () => (await import('./init.js')).initCommand },
  lint: { synopsis: SYNOPSES.lint, load: async () => (await import('./lint.js')).lintCommand },
  plan: { synopsis: SYNOPSES.plan, load: async () => (await import('./plan.js')).planCommand },
  probe: { synopsis: SYNOPSES.probe, load: async () => (await import('./probe.js')).probeCommand },
  relay: { synopsis: SYNOPSES.relay, load: async () => (await import('./relay.js')).relayCommand },
  route: { synopsis: SYNOPSES.route, load: async () => (await import('./route.js')).routeCommand },
  schema: { synopsis: SYNOPSES.schema, load: async () => (await import('./schema.js')).schemaCommand },
  test: { synopsis: SYNOPSES.test, load: async () => (await import('./test.js')).testCommand },
} satisfies Record<string, CommandEntry>;
