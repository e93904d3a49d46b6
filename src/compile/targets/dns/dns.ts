import type { Model } from '../../../model/model.js';
import { gatewaysAccepting } from '../../../dns/gateways.js';
import { compileRoutingTables } from '../../../routing/compile.js';
import { EntryPoints } from '../../../routing/entry.js';
import type { OutputFile } from '../../output.js';
import { bindFragment, dnscontrolRecords, octodnsYaml } from './formats.js';
import { dnsRecords, type EntryGateways } from '../../../dns/records.js';

/**
 * The `dns` target: per published domain its MX, SPF and DMARC records as a BIND zone
 * fragment (`dns/bind/<domain>.zone`), octoDNS YAML records (`dns/octodns/<domain>.yaml`)
 * and one DNSControl file (`dns/dnscontrol/chainmail.js`). No published domain, no files.
 */
export function compileDns(model: Model, problems: string[]): OutputFile[] {
  const records = dnsRecords(model, acceptingEntries(model), problems);
  if (records.length === 0) return [];
  const files: OutputFile[] = [];
  for (const r of records) {
    files.push({ path: `dns/bind/${r.domain}.zone`, content: bindFragment(r) });
    files.push({ path: `dns/octodns/${r.domain}.yaml`, content: octodnsYaml(r, problems) });
  }
  const usage = [
    '// Records for DNSControl (https://docs.dnscontrol.org): require("./chainmail.js") in your',
    '// dnsconfig.js after the D() of each domain below; D_EXTEND adds these records to it.',
  ];
  files.push({ path: 'dns/dnscontrol/chainmail.js', content: [usage.join('\n'), ...records.map(dnscontrolRecords)].join('\n') });
  return files;
}

/** Where internet mail for each domain enters and is accepted: the MX targets (src/dns/gateways.ts). */
export function acceptingEntries(model: Model): EntryGateways {
  const entries = new EntryPoints(compileRoutingTables(model));
  return (domain) => gatewaysAccepting(entries, domain);
}
