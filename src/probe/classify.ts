import type { Prediction } from './predict.js';
import type { SmtpReply } from './smtp-client.js';

/**
 * How an observed RCPT reply differs from the prediction (docs/probe.md "Differences").
 * `ok` and `inconclusive` are not drift; every other verdict is.
 */
export type Verdict =
  | 'ok'
  /** A temporary reply (4xx: greylisting, a directory down, 421): reported, not drift. */
  | 'inconclusive'
  /** Refuses a recipient the file says it accepts. */
  | 'mail-loss'
  /** Accepts a recipient the file says it refuses as unknown: it will bounce later. */
  | 'backscatter'
  /** Accepts a recipient in a domain the file says it must not relay to. Critical. */
  | 'open-relay'
  /** Refuses as unknown (5.1.x) where the file says relay denied: it accepts a domain the file does not give it. */
  | 'extra-domain'
  /** Refuses as relay denied (5.7.x) where the file says unknown recipient: it does not accept a domain the file gives it. */
  | 'missing-domain';

export function classify(predicted: Prediction, observed: SmtpReply): Verdict {
  const cls = Math.floor(observed.code / 100);
  if (cls === 4 || cls !== 2 && cls !== 5) return 'inconclusive';
  if (predicted.reply === 'accept') return cls === 2 ? 'ok' : 'mail-loss';
  if (cls === 2) return predicted.status.startsWith('5.7.') ? 'open-relay' : 'backscatter';
  // both refuse: only the subject of the enhanced status says which check refused
  // (RFC 3463 section 3: X.1.Y addressing, X.7.Y security/policy, i.e. relay denied)
  const want = subject(predicted.status);
  const got = observed.status ? subject(observed.status) : undefined;
  if (got === undefined || want === got) return 'ok';
  if (want === '7' && got === '1') return 'extra-domain';
  if (want === '1' && got === '7') return 'missing-domain';
  return 'ok';
}

function subject(status: string): string | undefined {
  return status.split('.')[1];
}

/** Verdicts that are drift (exit 1). */
export function isDrift(v: Verdict): boolean {
  return v !== 'ok' && v !== 'inconclusive';
}

/** The rule id a verdict (or `null-sender`, a system's) is reported under in SARIF, GitHub, JUnit and Markdown (docs/probe.md). */
export function ruleIdOf(v: Verdict | 'null-sender'): string {
  return `probe-${v}`;
}

/** The reportingDescriptor of every class the probe reports (docs/probe.md "Differences"). */
export const PROBE_RULES: readonly { id: string; description: string; defaultSeverity: 'error' | 'warning'; helpUri: string }[] = [
  ['mail-loss', 'error', 'refuses a recipient the file accepts: mail for it is lost'],
  ['backscatter', 'error', 'accepts a recipient the file refuses as unknown: it bounces later, to forged senders'],
  ['open-relay', 'error', 'accepts a recipient in a domain it must not relay to (critical)'],
  ['extra-domain', 'error', 'refuses as unknown where the file says relay denied: the system accepts a domain the file does not give it'],
  ['missing-domain', 'error', 'refuses as relay denied where the file says unknown: the system does not accept a domain the file gives it'],
  ['null-sender', 'error', 'refuses MAIL FROM:<> where the file does not say nullSender: refuse: bounces and DSNs to its recipients are lost'],
  ['inconclusive', 'warning', 'a temporary reply or a probe not sent: counted, not drift'],
].map(([v, severity, description]) => ({
  id: `probe-${v}`,
  description: description as string,
  defaultSeverity: severity as 'error' | 'warning',
  helpUri: 'https://github.com/chainmail-dev/chainmail/blob/main/docs/probe.md#differences',
}));
