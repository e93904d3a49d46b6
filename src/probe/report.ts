import type { Finding, Severity } from '../diagnostics/diagnostic.js';
import { isDrift, ruleIdOf } from './classify.js';
import type { ProbeResult, SystemReport } from './run.js';

/**
 * The probe's results as findings (one per difference, and one per inconclusive probe), so
 * that the formatters of `lint` (SARIF, GitHub, JUnit, Markdown) print them at the YAML
 * location of the object concerned.
 */

export interface ProbeFinding extends Finding {
  readonly severity: Severity;
}

export function expected(r: ProbeResult): string {
  return r.predicted.reply === 'accept' ? 'accept' : `${r.predicted.code} ${r.predicted.status}`;
}

export function observedText(r: ProbeResult): string {
  if (!r.observed) return r.note ?? 'not sent';
  return `${r.observed.code}${r.observed.status ? ` ${r.observed.status}` : ''}`;
}

const WHAT: Record<string, string> = {
  'mail-loss': 'refuses a recipient the file accepts (mail loss)',
  backscatter: 'accepts an unknown recipient the file refuses (backscatter)',
  'open-relay': 'relays to a domain it must not (open relay, critical)',
  'extra-domain': 'accepts a domain the file does not give it',
  'missing-domain': 'does not accept a domain the file gives it',
  inconclusive: 'gave a temporary reply (inconclusive, not drift)',
};

export function probeFindings(reports: readonly SystemReport[]): ProbeFinding[] {
  const out: ProbeFinding[] = [];
  for (const rep of reports) {
    if (rep.failure) continue;
    const ns = rep.nullSender;
    if (ns.treatment === 'refused' && ns.reply) {
      // RFC 5321 section 4.5.5: a server must accept the null reverse-path; the file says it does
      const got = `${ns.reply.code}${ns.reply.status ? ` ${ns.reply.status}` : ''}`;
      out.push({
        ruleId: ruleIdOf('null-sender'),
        severity: 'error',
        message: `system "${rep.system}" refuses the null sender: MAIL FROM:<> got ${got} "${ns.reply.text}", so bounces to its recipients are lost; probed with MAIL FROM:<${ns.sender}> instead (say nullSender: refuse in the file if this is intended)`,
        at: rep.at,
        data: { system: rep.system, address: '', class: 'null-sender', expected: '250', observed: got, why: 'RFC 5321 section 4.5.5: the null reverse-path must be accepted' },
      });
    }
    for (const r of rep.results) {
      if (r.verdict === 'ok') continue;
      // an unsent probe is inconclusive only when the server itself said so (421, no SMTPUTF8)
      const drift = isDrift(r.verdict);
      const message = `system "${rep.system}" ${WHAT[r.verdict] ?? r.verdict}: RCPT TO:<${r.probe.address}> (${r.probe.class}) expected ${expected(r)}, got ${observedText(r)}${r.observed ? ` "${r.observed.text}"` : ''}`;
      out.push({
        ruleId: ruleIdOf(r.verdict),
        severity: drift ? 'error' : 'warning',
        message,
        at: r.probe.at,
        data: {
          system: rep.system,
          address: r.probe.address,
          class: r.probe.class,
          expected: expected(r),
          observed: observedText(r),
          why: r.predicted.why,
          ...(r.verdict === 'open-relay' ? { critical: 'true' } : {}),
        },
      });
    }
  }
  return out;
}

export interface SystemSummary {
  readonly system: string;
  readonly address: string;
  readonly probes: number;
  readonly ok: number;
  readonly drift: number;
  readonly inconclusive: number;
  readonly tls: boolean;
  /** How a host name was found: "mail.example.com MX 10 mx1.example.com". */
  readonly via?: string;
  /** MAIL FROM:<>: accepted, refused (drift, counted), or declared (`nullSender: refuse`, not tried). */
  readonly nullSender: 'accepted' | 'declared' | 'refused';
  /** The normal sender, when one was used. */
  readonly sender?: string;
  readonly unreachable?: string;
  /** Every probe: what was sent, expected and observed (JSON output). */
  readonly results: readonly { readonly address: string; readonly class: string; readonly expected: string; readonly observed: string; readonly verdict: string }[];
}

export function summarize(rep: SystemReport): SystemSummary {
  const rcptDrift = rep.results.filter((r) => isDrift(r.verdict)).length;
  const inconclusive = rep.results.filter((r) => r.verdict === 'inconclusive').length;
  const ns = rep.nullSender.treatment;
  return {
    system: rep.system,
    address: rep.address,
    probes: rep.results.length,
    ok: rep.results.length - rcptDrift - inconclusive,
    // a refused null sender is one difference of the system's, beside its recipients'
    drift: rcptDrift + (ns === 'refused' && !rep.failure ? 1 : 0),
    inconclusive: rep.failure ? 0 : inconclusive,
    tls: rep.tls,
    ...(rep.via !== undefined ? { via: rep.via } : {}),
    nullSender: ns,
    ...(ns !== 'accepted' ? { sender: rep.nullSender.sender } : {}),
    ...(rep.failure ? { unreachable: rep.failure.message } : {}),
    results: rep.results.map((r) => ({ address: r.probe.address, class: r.probe.class, expected: expected(r), observed: observedText(r), verdict: r.verdict })),
  };
}
