import type { Model } from '../../../model/model.js';
import type { OutputFile } from '../../output.js';
import { exchangeOnlinePs1 } from './exchange-online-ps1.js';
import { googleRunbook } from './google-runbook.js';

/**
 * The `cloud` target: `<system>/exchange-online/setup-exo.ps1` for every exchange-online
 * system and `<system>/google-workspace/runbook.md` for every google-workspace system
 * (docs/exchange-online.md, docs/google-workspace.md).
 */
export function compileCloud(model: Model): OutputFile[] {
  const source = model.file.split(/[\\/]/).pop() ?? model.file;
  const out: OutputFile[] = [];
  for (const s of [...model.systems.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (s.kind === 'exchange-online') out.push({ path: `${s.name}/exchange-online/setup-exo.ps1`, content: exchangeOnlinePs1(model, s, source) });
    if (s.kind === 'google-workspace') out.push({ path: `${s.name}/google-workspace/runbook.md`, content: googleRunbook(model, s, source) });
  }
  return out;
}
