import { buildGraph, renderDot, renderMermaid } from '../../route/graph.js';
import { ALLOW_PATH_HELP, ALLOW_PATH_OPTION } from '../allow-path.js';
import { parse, type Command } from '../command.js';
import { UsageError } from '../io.js';
import { loadRoutable } from '../routable.js';
import { SYNOPSES } from './synopses.js';

const RENDERERS = { mermaid: renderMermaid, dot: renderDot } as const;

export const graphCommand: Command = {
  synopsis: SYNOPSES.graph,
  help: `usage: chainmail graph FILE [options]

Draws the organisation: the internet, each system (kind, host; gateways bold), the
connectors between them labelled with the domains they carry, chain steps no connector
carries (dashed), forwardUnresolvedTo edges ("unresolved", red), smart hosts outside the
file, and contacts summarised per target domain.

options:
  --format F   mermaid (default; paste into a \`\`\`mermaid block on GitHub) or dot
               (Graphviz: chainmail graph FILE --format dot | dot -Tsvg > org.svg)
${ALLOW_PATH_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(args, { format: { type: 'string', default: 'mermaid' }, ...ALLOW_PATH_OPTION });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name the chainmail FILE to draw' : 'draws one FILE at a time');
    const format = values.format ?? 'mermaid';
    if (!Object.hasOwn(RENDERERS, format)) throw new UsageError(`unknown --format ${JSON.stringify(format)}; use mermaid or dot`);
    const loaded = loadRoutable(positionals[0] ?? '', io, 'graph', values['allow-path']);
    if (typeof loaded === 'number') return loaded;
    io.stdout(RENDERERS[format as keyof typeof RENDERERS](buildGraph(loaded.model)));
    return 0;
  },
};
