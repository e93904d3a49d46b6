import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { compilePostfix } from '../../src/compile/targets/postfix/postfix.js';
import { relayTransport } from '../../src/compile/targets/postfix/nexthop.js';
import type { RoutingTable } from '../../src/routing/table.js';
import { loadModel } from '../../src/pipeline.js';
import { recipientKey, resolve } from '../../src/routing/resolve.js';
import { repoRoot } from '../support/fixtures.js';
import { buildCases } from './cases.js';

/**
 * Postfix and the routing engine agree: for every system of every case (each one compiled
 * as a Postfix system with postfixFor), every recipient it knows, one unknown recipient per
 * domain and connector address space, and a foreign domain are evaluated twice: by
 * resolve() and by a small model of Postfix's own lookups over the generated maps
 * (smtpd: relay_domains, virtual_alias_maps, relay_recipient_maps; then virtual(5)
 * rewriting and transport(5) lookup: user@domain, then domain).
 */
type Maps = Record<'relay_domains' | 'relay_recipients' | 'transport' | 'virtual', Map<string, string>>;

function parseMap(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.indexOf(' ');
    m.set(line.slice(0, sp), line.slice(sp + 1));
  }
  return m;
}

type Outcome = { refuse: number } | { transport: string; address: string };


/** What the Postfix built from these maps does with an SMTP recipient (no relay rights: reject_unauth_destination). */
function postfix(maps: Maps, rcpt: string): Outcome {
  const k = recipientKey(rcpt);
  if (!k) return { refuse: 501 };
  if (!maps.relay_domains.has(k.domain)) return { refuse: 554 };
  const virtual = maps.virtual.get(k.key) ?? maps.virtual.get(`@${k.domain}`);
  // smtpd_reject_unlisted_recipient: a virtual(5) match, or the relay recipient table
  if (virtual === undefined && !maps.relay_recipients.has(k.key) && !maps.relay_recipients.has(`@${k.domain}`)) return { refuse: 550 };
  const address = virtual ?? rcpt;
  const t = recipientKey(address);
  const transport = (t && (maps.transport.get(t.key) ?? maps.transport.get(t.domain))) ?? 'relay:(default)';
  return { transport, address: t?.key ?? address };
}

/**
 * What the same Postfix does with a message submitted at it by sendmail(1): pickup and
 * cleanup, no smtpd recipient checks; virtual(5) rewriting, then the transport(5) lookup.
 */
function postfixSubmitted(maps: Maps, rcpt: string): Outcome {
  const k = recipientKey(rcpt);
  if (!k) return { refuse: 501 };
  const address = maps.virtual.get(k.key) ?? maps.virtual.get(`@${k.domain}`) ?? rcpt;
  const t = recipientKey(address);
  const transport = (t && (maps.transport.get(t.key) ?? maps.transport.get(t.domain))) ?? 'relay:(default)';
  // error(8) bounces with the status its next-hop text begins with
  const status = /^error:(5\.\d+\.\d+) /.exec(transport)?.[1];
  if (status !== undefined) return { refuse: status.startsWith('5.7.') ? 554 : 550 };
  return { transport, address: t?.key ?? address };
}

/** The same recipient through the routing engine, as Postfix would see the outcome. */
function engine(table: RoutingTable, local: string, rcpt: string, entry: 'internet' | 'local' = 'internet'): Outcome {
  let address = rcpt;
  let origin = entry;
  for (let i = 0; i < 5; i++) {
    const d = resolve(table, address, { origin, received: 0 });
    if (d.kind === 'refuse' || d.kind === 'loop') return { refuse: d.code };
    if (d.kind === 'rewrite') {
      // accepted for the original recipient: the target is routed without a relay check (step())
      address = d.to;
      origin = 'local';
      continue;
    }
    const key = recipientKey(address)?.key ?? address;
    if (d.kind === 'deliver') return { transport: local, address: d.mailbox };
    if (d.kind === 'forward') return { transport: relayTransport(d.nextHop), address: key };
    return { transport: `external:${d.host}`, address: key };
  }
  throw new Error('rewrite loop');
}

describe.each(buildCases.filter((c) => c.args.length === 0))('Postfix agrees with the routing engine: $id', (c) => {
  const loaded = loadModel(join(repoRoot, c.input), { cwd: repoRoot });
  const model = loaded.model;
  if (!model) throw new Error(`${c.input} does not load`);
  const tables = compileRoutingTables(model);
  const files = compilePostfix(model, { postfixFor: [...model.systems.keys()] });

  it.each([...tables.keys()])('system %s', (system) => {
    const table = tables.get(system);
    if (!table) throw new Error(system);
    const get = (name: string): Map<string, string> => parseMap(String(files.find((f) => f.path === `${system}/postfix/${name}`)?.content ?? ''));
    const maps: Maps = { relay_domains: get('relay_domains'), relay_recipients: get('relay_recipients'), transport: get('transport'), virtual: get('virtual') };
    const local = model.systems.get(system)?.localTransport ?? 'local:';
    // the recipients it resolves, knows, and forwards to their hosting system (the reverse path)
    const known = [...Object.keys(table.recipients), ...table.knownRecipients, ...Object.keys(table.hosted ?? {})];
    const probes = new Set<string>([...known, 'someone@foreign.invalid']);
    for (const d of Object.keys(table.domains)) probes.add(`no-such-user@${d}`);
    // a domain that holds a listed recipient without a policy accepting it (550, not 554)
    for (const k of known) probes.add(`no-such-user@${k.slice(k.lastIndexOf('@') + 1)}`);
    for (const conn of table.connectors) for (const d of conn.addressSpaces) if (d !== '*') probes.add(`no-such-user@${d}`);
    const disagree: string[] = [];
    for (const rcpt of [...probes].sort()) {
      const want = engine(table, local, rcpt);
      const got = postfix(maps, rcpt);
      if (JSON.stringify(want) !== JSON.stringify(got)) disagree.push(`${rcpt}: engine ${JSON.stringify(want)}, postfix ${JSON.stringify(got)}`);
    }
    // mail submitted at the system (sendmail) for every recipient of the organisation it
    // routes and an unknown one per domain: the same next hop as resolve() with the origin
    // 'local', and a bounce (error(8)) with the same status where resolve() refuses
    for (const rcpt of [...probes].sort()) {
      const want = engine(table, local, rcpt, 'local');
      let got = postfixSubmitted(maps, rcpt);
      // no transport entry: relayhost (a "*" connector), else the domain's MX
      const star = table.connectors.find((c) => c.addressSpaces.includes('*'));
      const cf = String(files.find((f) => f.path === `${system}/postfix/main.cf`)?.content ?? '');
      // default_transport = error:... (main.cf): the domains of neither relay_domains nor the transport map
      const fallback = /^default_transport = error:(5\.\d+\.\d+) /m.exec(cf)?.[1];
      const domain = recipientKey(rcpt)?.domain ?? '';
      if ('transport' in got && got.transport === 'relay:(default)' && !star && fallback !== undefined && !maps.relay_domains.has(domain)) got = { refuse: fallback.startsWith('5.7.') ? 554 : 550 };
      else if ('transport' in got && got.transport === 'relay:(default)') got.transport = star ? relayTransport(star.nextHop) : 'external:';
      if ('transport' in want && want.transport.startsWith('external:')) want.transport = 'external:';
      if (JSON.stringify(want) !== JSON.stringify(got)) disagree.push(`${rcpt} submitted here: engine ${JSON.stringify(want)}, postfix ${JSON.stringify(got)}`);
    }
    expect(disagree).toEqual([]);
  });
});
