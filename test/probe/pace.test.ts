import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Pace } from '../../src/probe/run.js';

/**
 * --rate: the RCPT commands of the whole run (every connection shares one Pace) get slots
 * 1/rate seconds apart, so a production gateway sees at most `rate` per second. Fake
 * timers: the schedule is checked, not the machine's speed.
 */
describe('the probe pace (--rate)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    [2, [1, 1, 1, 1, 1], [0, 500, 1000, 1500, 2000]],
    [10, [3, 3, 3], [0, 300, 600]],
    [4, [20, 1], [0, 5000]],
  ])('rate %i, batches of %j: released at %j ms', async (rate, sizes, at) => {
    const pace = new Pace(rate);
    const released: number[] = [];
    // taken at once, as concurrent connections would
    const all = sizes.map((n) => pace.take(n).then(() => released.push(Date.now())));
    await vi.runAllTimersAsync();
    await Promise.all(all);
    expect(released).toEqual(at);
  });

  it('rate 0 is unpaced', async () => {
    const pace = new Pace(0);
    for (let i = 0; i < 100; i++) await pace.take(20);
    expect(Date.now()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
