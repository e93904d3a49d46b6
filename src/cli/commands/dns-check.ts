import { Resolver } from 'node:dns/promises';
import { acceptingEntries } from '../../compile/targets/dns/dns.js';
import { dnsRecords } from '../../dns/records.js';
import { dnsCheck, type DomainCheck } from '../../dns-check/check.js';
import { ALLOW_PATH_HELP, ALLOW_PATH_OPTION } from '../allow-path.js';
import { parse, type Command } from '../command.js';
import { UsageError } from '../io.js';
import { loadRoutable } from '../routable.js';
import { resolverAddress } from '../resolver-option.js';
import { SYNOPSES } from './synopses.js';

export const dnsCheckCommand: Command = {
  synopsis: SYNOPSES['dns-check'],
  help: `usage: chainmail dns-check FILE --resolver HOST:PORT [options]

Asks the resolver for the MX, SPF and DMARC records of every domain the file publishes
(docs/dns.md) and compares them with the records chainmail build --target dns writes:
drift in MX hosts, SPF mechanisms and DMARC tags, a missing record, two SPF records, and
an SPF record over 10 DNS lookups or 2 void lookups (RFC 7208 4.6.4), counted through its
include: and redirect= records. It never evaluates SPF for an address.

options:
  --resolver HOST:PORT   the DNS server to ask: an IP address with a port, e.g.
                         127.0.0.1:53 or [2001:db8::53]:53 (required)
  --domain D             check only this domain (repeatable)
  --format F             text (default) or json
  --timeout MS           per query, default 5000
${ALLOW_PATH_HELP}
exit codes: 0 everything as the model says; 1 drift or a missing record; 2 usage error,
a file that cannot be read, or a resolver that does not answer.
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      resolver: { type: 'string' },
      domain: { type: 'string', multiple: true },
      format: { type: 'string', default: 'text' },
      timeout: { type: 'string' },
      ...ALLOW_PATH_OPTION,
    });
    if (values.help) {
      io.stdout(this.help);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('name exactly one chainmail FILE');
    if (values.resolver === undefined || values.resolver === '') throw new UsageError('--resolver HOST:PORT is required, e.g. --resolver 127.0.0.1:53');
    const server = resolverAddress(values.resolver);
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`unknown --format ${JSON.stringify(format)}; use text or json`);
    const timeout = values.timeout === undefined ? 5000 : Number(values.timeout);
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 60_000) throw new UsageError('--timeout needs a whole number of milliseconds from 1 to 60000');
    const loaded = loadRoutable(positionals[0] ?? '', io, 'dns-check', values['allow-path']);
    if (typeof loaded === 'number') return loaded;
    const problems: string[] = [];
    let records = dnsRecords(loaded.model, acceptingEntries(loaded.model), problems);
    for (const p of problems) io.stderr(`${loaded.file}: error: ${p}\n`);
    if (problems.length > 0) return 1;
    const wanted = (values.domain ?? []).map((d) => d.replace(/\.$/, '').toLowerCase());
    const unknown = wanted.filter((d) => !records.some((r) => r.domain === d || r.decl.name.unicode === d));
    if (unknown.length > 0) throw new UsageError(`--domain ${unknown.map((d) => JSON.stringify(d)).join(', ')} is not published by ${loaded.file}; it publishes ${records.map((r) => r.domain).join(', ') || 'no domain'}`);
    if (wanted.length > 0) records = records.filter((r) => wanted.includes(r.domain) || wanted.includes(r.decl.name.unicode));
    if (records.length === 0) {
      io.stderr(`chainmail dns-check: ${loaded.file} publishes no domain (give a domain dmarc, mx or spf, or a system sends: docs/dns.md)\n`);
      return 0;
    }
    const resolver = new Resolver({ timeout, tries: 2 });
    resolver.setServers([server]);
    const results = await dnsCheck(records, resolver);
    const all = results.flatMap((d) => d.checks);
    const summary = { ok: all.filter((c) => c.status === 'ok').length, drift: all.filter((c) => c.status === 'drift' || c.status === 'missing').length, errors: all.filter((c) => c.status === 'error').length };
    if (format === 'json') io.stdout(`${JSON.stringify({ version: 1, resolver: server, domains: results, summary }, null, 2)}\n`);
    else io.stdout(text(results, summary));
    return summary.errors > 0 ? 2 : summary.drift > 0 ? 1 : 0;
  },
};

function text(results: readonly DomainCheck[], summary: { ok: number; drift: number; errors: number }): string {
  const lines: string[] = [];
  for (const d of results) {
    lines.push(d.domain);
    for (const c of d.checks) {
      lines.push(`  ${c.record.padEnd(12)}${c.status.padEnd(8)}${c.message}`);
      if (c.status !== 'ok' && c.model !== undefined) lines.push(`${' '.repeat(22)}model:     ${c.model}`);
      if (c.status !== 'ok' && c.published !== undefined) lines.push(`${' '.repeat(22)}published: ${c.published}`);
    }
  }
  lines.push(`${summary.ok} ok, ${summary.drift} drift, ${summary.errors} error${summary.errors === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}
