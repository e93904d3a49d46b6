import { describe, expect, it } from 'vitest';
import { classify, isDrift } from '../../src/probe/classify.js';
import type { Prediction } from '../../src/probe/predict.js';

const accept: Prediction = { reply: 'accept', why: 'local mailbox' };
const unknown: Prediction = { reply: 'refuse', code: 550, status: '5.1.1', why: 'no such recipient' };
const relay: Prediction = { reply: 'refuse', code: 554, status: '5.7.1', why: 'relay access denied' };

describe('classify: the prediction against the observed RCPT reply', () => {
  it.each([
    [accept, 250, '2.1.5', 'ok'],
    [accept, 550, '5.1.1', 'mail-loss'],
    [accept, 554, '5.7.1', 'mail-loss'],
    [accept, 450, '4.2.0', 'inconclusive'],
    [accept, 421, '4.3.2', 'inconclusive'],
    [unknown, 550, '5.1.1', 'ok'],
    [unknown, 550, undefined, 'ok'],
    [unknown, 250, '2.1.5', 'backscatter'],
    [unknown, 554, '5.7.1', 'missing-domain'],
    [unknown, 451, '4.3.0', 'inconclusive'],
    [relay, 554, '5.7.1', 'ok'],
    [relay, 550, '5.7.54', 'ok'],
    [relay, 250, undefined, 'open-relay'],
    [relay, 550, '5.1.1', 'extra-domain'],
    [relay, 503, '5.5.1', 'ok'],
    [accept, 0, undefined, 'inconclusive'],
  ] as const)('%j, observed %i %s: %s', (predicted, code, status, verdict) => {
    expect(classify(predicted, { code, ...(status ? { status } : {}), text: '' })).toBe(verdict);
  });

  it('counts only real differences as drift', () => {
    expect(['ok', 'inconclusive'].map((v) => isDrift(v as 'ok'))).toEqual([false, false]);
    expect(isDrift('open-relay')).toBe(true);
  });
});
