/**
 * A stopwatch of this process's CPU time (user + system, all threads), in milliseconds.
 * Tests that bound how much work something takes use it instead of elapsed time: other
 * processes on a busy machine (the suite must pass with both cores taken) do not count.
 * Bounds stay generous; they catch work that grows without limit, and `npm run bench`
 * measures speed.
 */
export function cpuClock(): () => number {
  const start = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
}
