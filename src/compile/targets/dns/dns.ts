import { entryGateways } from '../../../analyze/routing-facts.js';
import type { RuleContext } from '../../../analyze/rule.js';
import type { Model } from '../../../model/model.js';
import { tableIndex } from '../../../model/routing-table.js';
import type { OutputFile } from '../../output.js';
import { bindFragment, dnscontrolRecords, octodnsYaml } from './formats.js';
import { dnsRecords, type EntryGateways } from './records.js';

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

/**
 * Where internet mail for a domain enters, from the routing engine (routing-facts'
 * entryGateways), keeping only gateways that accept the domain: a gateway that refuses
 * it (5.7.1) is no MX for it.
 */
export function acceptingEntries(model: Model): EntryGateways {
  const memo = new Map<string, unknown>();
  const ctx: RuleContext = {
    model,
    report: () => undefined,
    memo: <T>(key: string, compute: (m: Model) => T): T => {
      if (!memo.has(key)) memo.set(key, compute(model));
      return memo.get(key) as T;
    },
  };
  return (domain) => gatewaysAccepting(ctx, domain);
}

/** The entry gateways of a domain that accept it (the rules call this with their own context). */
export function gatewaysAccepting(ctx: RuleContext, domain: string): string[] {
  return entryGateways(ctx, domain)
    .filter((t) => tableIndex(t).domains.has(domain))
    .map((t) => t.system)
    .sort();
}
