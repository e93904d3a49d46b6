import { chainmailSchema } from '../../validate/validate.js';
import { parse, type Command } from '../command.js';
import { SYNOPSES } from './synopses.js';

export const schemaCommand: Command = {
  synopsis: SYNOPSES.schema,
  help: `usage: chainmail schema

Prints schemas/chainmail.schema.json (JSON Schema draft 2020-12). Point your editor at it
with the modeline "# yaml-language-server: $schema=<path>/chainmail.schema.json".
`,
  async run(args, io) {
    const { values } = parse(args, {});
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    io.stdout(`${JSON.stringify(chainmailSchema, null, 2)}\n`);
    return 0;
  },
};
