import type { Model } from '../../../model/model.js';
import type { OutputFile } from '../../output.js';
import { utf8File } from '../../text-sink.js';
import { compileRoutingTables } from '../../../routing/compile.js';
import { csvNeedsUnicode } from '../csv/csv.js';
import { exchangeView } from './exchange-view.js';
import { runbook } from './runbook.js';
import { setupPs1 } from './setup-ps1.js';

/**
 * The `exchange` target: `<system>/exchange/runbook.md` (KB 321721 steps 1-5 in Exchange
 * System Manager, Exchange 2000/2003) and `<system>/exchange/setup.ps1` (the same for
 * Exchange 2010 and later) for every system of kind exchange. Both are rendered from the
 * system's compiled routing table, so they say what the simulator and the relay do.
 */
export function compileExchange(model: Model): OutputFile[] {
  const tables = compileRoutingTables(model);
  const unicode = csvNeedsUnicode(model);
  const out: OutputFile[] = [];
  for (const s of [...model.systems.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const table = tables.get(s.name);
    if (s.kind !== 'exchange' || !table) continue;
    const view = exchangeView(model, s, table, unicode);
    out.push(utf8File(`${s.name}/exchange/runbook.md`, runbook(view)));
    out.push(utf8File(`${s.name}/exchange/setup.ps1`, setupPs1(view)));
  }
  return out;
}
