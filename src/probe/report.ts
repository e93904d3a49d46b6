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
  readonly unreachable?: string;
  /** Every probe: what was sent, expected and observed (JSON output). */
  readonly results: readonly { readonly address: string; readonly class: string; readonly expected: string; readonly observed: string; readonly verdict: string }[];
}

export function summarize(rep: SystemReport): SystemSummary {
  const drift = rep.results.filter((r) => isDrift(r.verdict)).length;
  const inconclusive = rep.results.filter((r) => r.verdict === 'inconclusive').length;
  return {
    system: rep.system,
    address: rep.address,
    probes: rep.results.length,
    ok: rep.results.length - drift - inconclusive,
    drift,
    inconclusive: rep.failure ? 0 : inconclusive,
    tls: rep.tls,
    ...(rep.failure ? { unreachable: rep.failure.message } : {}),
    results: rep.results.map((r) => ({ address: r.probe.address, class: r.probe.class, expected: expected(r), observed: observedText(r), verdict: r.verdict })),
  };
}
