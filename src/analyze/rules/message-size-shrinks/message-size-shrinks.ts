import type { Target } from '../../../diagnostics/diagnostic.js';
import { q } from '../../../diagnostics/diagnostic.js';
import { messageSizeLimit } from '../../../model/message-size.js';
import type { SystemDecl } from '../../../model/model.js';
import { formatCount, yamlSnippet } from '../../indexes.js';
import { defineRule } from '../../rule.js';

/**
 * A system of a chain accepts a message, then hands it to the next system of the chain
 * (chains[].order, KB 321721 "the first forwards to the second, ..."). When a later system
 * takes smaller messages, it refuses at the end of DATA (Postfix message_size_limit:
 * 552 5.3.4 "Message size exceeds fixed limit"; Exchange 5.3.4) what the earlier one already
 * accepted, and the earlier one bounces it to the sender: the message is lost for a
 * recipient the gateway said it would deliver to. Only limits the file writes count, and
 * Postfix's default for a Postfix system without one (its main.cf leaves message_size_limit alone).
 */
export const messageSizeShrinks = defineRule({
  id: 'message-size-shrinks',
  defaultSeverity: 'warning',
  description: 'a later system of a chain accepts smaller messages than an earlier one',
  check(ctx) {
    const { model } = ctx;
    const reported = new Set<string>();
    for (const chain of model.chains) {
      let largest: { system: SystemDecl; bytes: number; position: number } | undefined;
      chain.order.forEach((name, position) => {
        const system = model.systems.get(name);
        const limit = system ? messageSizeLimit(system) : undefined;
        if (!system || !limit) return;
        if (largest && limit.bytes < largest.bytes && !reported.has(`${chain.name}\0${name}`)) {
          reported.add(`${chain.name}\0${name}`);
          const earlier = largest;
          const at: Target = limit.written ? { path: [...system.path, 'maxMessageSize'] } : { path: system.path, key: true };
          const own = limit.written ? `${formatCount(limit.bytes)} bytes` : `${formatCount(limit.bytes)} bytes (Postfix's default)`;
          ctx.report({
            message:
              `system ${q(name)} accepts messages up to ${own}, less than ${q(earlier.system.name)} before it in chain ${q(chain.name)} ` +
              `(${formatCount(earlier.bytes)} bytes): a message in between is accepted by ${q(earlier.system.name)}, refused by ${q(name)} (552 5.3.4) and bounced`,
            at,
            related: [
              {
                message: `${q(earlier.system.name)} accepts messages up to ${formatCount(earlier.bytes)} bytes`,
                at: earlier.system.maxMessageSize !== undefined ? { path: [...earlier.system.path, 'maxMessageSize'] } : { path: earlier.system.path, key: true },
              },
              { message: `chain ${q(chain.name)}: ${q(earlier.system.name)} is system ${earlier.position + 1}, ${q(name)} system ${position + 1}`, at: { path: [...chain.path, 'order', position] } },
            ],
            fix: {
              description: `let ${q(name)} accept what the systems before it accept (and configure the real system the same), or lower the earlier limit`,
              yaml: yamlSnippet({ maxMessageSize: earlier.bytes }),
            },
            data: { system: name, bytes: String(limit.bytes), earlier: earlier.system.name, earlierBytes: String(earlier.bytes), chain: chain.name },
          });
        }
        if (!largest || limit.bytes > largest.bytes) largest = { system, bytes: limit.bytes, position };
      });
    }
  },
});
